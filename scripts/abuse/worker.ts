/**
 * The abuse harness's child process: regenerates the document cases (deterministically) and runs the
 * ones the parent asks for, reporting each outcome as it ends, so that the parent's watchdog can tell
 * a hang from a slow case.
 */
import { classify, prototypeFingerprint } from '../../properties/bad_input.ts';
import { fuzzCases, malformedCases, type DocCase } from './cases.ts';

const fuzzCount = Number(process.env.ABUSE_FUZZ ?? 6000);
const fuzzSeed = Number(process.env.ABUSE_SEED ?? 16);
const cases: DocCase[] = [...malformedCases(1), ...fuzzCases(fuzzCount, fuzzSeed)];
const before = prototypeFingerprint();

process.on('message', (msg: { from: number; to: number }) => {
  for (let i = msg.from; i < msg.to && i < cases.length; i += 1) {
    const c = cases[i] as DocCase;
    const t0 = performance.now();
    const out = classify(c.doc);
    const polluted = prototypeFingerprint() !== before || ({} as Record<string, unknown>).polluted !== undefined;
    process.send?.({ i, id: c.id, klass: c.klass, want: c.want, kind: out.kind, placed: out.placed, detail: out.detail.slice(0, 400), ms: performance.now() - t0, polluted });
  }
  process.send?.({ done: true });
});
process.send?.({ ready: cases.length });
