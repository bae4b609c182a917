/**
 * The props project of vitest.config.ts with a profiling setup file added (bench/props_split.ts runs
 * it): the same files, timeouts, isolation and worker flags as `npm run props`.
 */
import { defineConfig } from 'vitest/config';
import base from '../vitest.config.ts';

type Project = { test: { name?: string; [k: string]: unknown } };
const projects = (base.test?.projects ?? []) as unknown as Project[];
const props = projects.find((p) => p.test.name === 'props');
if (props === undefined) throw new Error('vitest.config.ts has no props project');
const setup = (base.test?.setupFiles ?? []) as string[];

export default defineConfig({ test: { ...props.test, setupFiles: [...setup, './bench/props_profile.setup.ts'] } });
