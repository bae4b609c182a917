/**
 * The lines bpf_trace_printk and bpf_trace_vprintk put in the kernel's trace buffer, in both tiers:
 * the model's (its `printk` trace events), the kernel's (the `"printk"` field the loader and the guest
 * driver print: common/bpf_report.h), and their comparison, byte for byte.
 */
import { traceEvents, type Session } from '../src/index.ts';

/** The model's lines of a run, each its bytes in hex. */
export function modelPrintk(s: Session): string[] {
  return traceEvents(s.world.trace).flatMap((e) => (e.kind === 'printk' ? [Buffer.from(e.text, 'latin1').toString('hex')] : []));
}

/** The kernel's lines from a result line: hex strings, null when tracefs could not be used, absent from an older harness. */
export function kernelPrintk(j: Record<string, unknown>): { printk?: string[] | null } {
  return Array.isArray(j.printk) ? { printk: j.printk.map(String) } : j.printk === null ? { printk: null } : {};
}

/**
 * The comparison, where the run wrote a line or the model expects one (null: nothing to compare):
 * whether they are the same, and each side as text for a report.
 */
export function comparePrintk(kernel: readonly string[] | null | undefined, model: readonly string[]): { same: boolean; kernel: string; model: string } | null {
  if (model.length === 0 && (kernel === undefined || kernel === null || kernel.length === 0)) return null;
  const show = (ls: readonly string[]): string => ls.map((l) => JSON.stringify(Buffer.from(l, 'hex').toString('latin1'))).join(' ');
  const read = kernel !== undefined && kernel !== null;
  return { same: read && kernel.join(' ') === model.join(' '), kernel: read ? show(kernel) : '(tracefs not read)', model: show(model) };
}
