/**
 * A setup file for `bench/props_split.ts` (never for the suite itself): each test file of the props
 * project runs under V8's sampling profiler (node:inspector, 1 ms), and its profile is written to
 * KERNSIM_PROFILE_DIR as `<pid>-<n>.cpuprofile` when the file's tests end.
 */
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

const dir = process.env.KERNSIM_PROFILE_DIR;
if (dir === undefined) throw new Error('bench/props_profile.setup.ts: KERNSIM_PROFILE_DIR must name a folder for the profiles');
const session = new Session();
/** Profiles written by this worker (a worker runs several files: isolate is off). */
const g = globalThis as { kernsimProfiles?: number };

beforeAll(async () => {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
});

afterAll(async () => {
  const { profile } = await session.post('Profiler.stop');
  g.kernsimProfiles = (g.kernsimProfiles ?? 0) + 1;
  writeFileSync(join(dir, `${process.pid}-${g.kernsimProfiles}.cpuprofile`), JSON.stringify(profile));
  session.disconnect();
});
