/**
 * Determinism for property tests: fast-check's seed and run count come from the environment, never
 * from the clock. KERNSIM_SEED (default 20261127) and KERNSIM_RUNS (default 100 here; `npm run props`
 * sets 1000). A failure's report ends with one paste-ready command that replays it (KERNSIM_SEED,
 * KERNSIM_PATH, the file and the test: properties/replay.ts).
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { expect } from 'vitest';
import { replayCommand } from './properties/replay.ts';

const ROOT = dirname(fileURLToPath(import.meta.url));
const seed = Number(process.env.KERNSIM_SEED ?? 20261127);
const numRuns = Number(process.env.KERNSIM_RUNS ?? 100);
const path = process.env.KERNSIM_PATH;
if (!Number.isInteger(seed)) throw new Error(`KERNSIM_SEED must be an integer, got ${process.env.KERNSIM_SEED}`);
if (!Number.isInteger(numRuns) || numRuns < 1) throw new Error(`KERNSIM_RUNS must be a positive integer, got ${process.env.KERNSIM_RUNS}`);

/** fast-check's own report, and the command that replays the failure. */
function withReplay(message: string | undefined, details: fc.RunDetails<unknown>): Error {
  const state = expect.getState();
  const command = replayCommand(details.seed, details.counterexamplePath ?? '', ROOT, state.testPath, state.currentTestName);
  const err = new Error(`${message ?? 'Property failed'}\n\nReplay: ${command}`);
  if (details.errorInstance instanceof Error) err.cause = details.errorInstance;
  return err;
}

fc.configureGlobal({
  seed,
  numRuns,
  ...(path === undefined ? {} : { path }),
  // One reporter for every property (fast-check refuses a reporter and an asyncReporter together;
  // the suite's properties are synchronous).
  reporter(details) {
    if (details.failed) throw withReplay(fc.defaultReportMessage(details), details);
  },
});
