/**
 * Determinism for property tests: fast-check's seed and run count come from the environment, never
 * from the clock. KERNSIM_SEED (default 20261127) and KERNSIM_RUNS (default 100 here; `npm run props`
 * sets 1000). A failure prints the seed and path; replay with KERNSIM_SEED=… KERNSIM_PATH=….
 */
import fc from 'fast-check';

const seed = Number(process.env.KERNSIM_SEED ?? 20261127);
const numRuns = Number(process.env.KERNSIM_RUNS ?? 100);
const path = process.env.KERNSIM_PATH;
if (!Number.isInteger(seed)) throw new Error(`KERNSIM_SEED must be an integer, got ${process.env.KERNSIM_SEED}`);
if (!Number.isInteger(numRuns) || numRuns < 1) throw new Error(`KERNSIM_RUNS must be a positive integer, got ${process.env.KERNSIM_RUNS}`);
fc.configureGlobal({ seed, numRuns, ...(path === undefined ? {} : { path }) });
