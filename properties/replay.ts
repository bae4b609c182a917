/**
 * The one command that replays a failing property where the suite is (the source checkout): fast-check's
 * seed and path, the test file, and the test's name as vitest's `-t` pattern. vitest.setup.ts appends
 * it to every fast-check failure report. No model import here: the setup file of every test loads it.
 */
import { relative } from 'node:path';

/** A word for a POSIX shell: single-quoted. */
const shellWord = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
/** A string as a regular expression matching itself (vitest's -t takes a pattern). */
const regexLiteral = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * `KERNSIM_SEED=… KERNSIM_PATH=… npx vitest run --project P FILE -t 'NAME'`, to paste in the checkout
 * (`root`). `testPath` and `testName` are vitest's (`expect.getState()`); without them, the whole project.
 */
export function replayCommand(seed: number, path: string, root: string, testPath?: string, testName?: string): string {
  const file = testPath === undefined ? undefined : relative(root, testPath);
  const project = file !== undefined && file.startsWith('properties/') ? 'props' : 'unit';
  const name = testName?.split(' > ').at(-1);
  return [
    `KERNSIM_SEED=${seed}`, `KERNSIM_PATH=${shellWord(path)}`, 'npx vitest run', `--project ${project}`,
    ...(file === undefined ? [] : [shellWord(file)]),
    ...(name === undefined || name === '' ? [] : ['-t', shellWord(regexLiteral(name))]),
  ].join(' ');
}
