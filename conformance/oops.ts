/**
 * The guest tier's programs that oops the kernel (conformance/cases/oops.ts): the command that loads
 * each after every other case, what the guest's kernel log says of each, and what the model says.
 * A case agrees when both name the same function and the same faulting address.
 */
import { KernelBugError, Session, type BpfObject } from '../src/index.ts';
import type { OopsCase } from './cases/oops.ts';

/**
 * The guest's shell command, after the main driver: each `/t/oops-<id>.manifest` (one object) by a
 * driver of its own between two markers in the kernel log, then the log to the output disk. The
 * oops kills the driver (SIGKILL, status 137); the guest goes on.
 */
export function oopsCommand(driver: string): string {
  return 'for m in /t/oops-*.manifest; do [ -e "$m" ] || continue; id=${m#/t/oops-}; id=${id%.manifest}; ' +
    'echo "kernsim-oops-begin $id" > /dev/kmsg; ' + driver + ' "$m" > /dev/null 2>&1; ' +
    'echo "kernsim-oops-end $id rc=$?" > /dev/kmsg; done; dmesg > /mnt/ext4/out/dmesg.txt';
}

/** What the kernel did with case `id`'s load: its log between the case's markers. */
export function kernelOops(dmesg: string, id: string): string {
  const lines = dmesg.split('\n');
  const from = lines.findIndex((l) => l.endsWith(`kernsim-oops-begin ${id}`));
  if (from < 0) return 'not run (no marker in the kernel log)';
  const to = lines.findIndex((l, i) => i > from && l.includes(`kernsim-oops-end ${id} `));
  const part = lines.slice(from, to < 0 ? lines.length : to + 1).join('\n');
  const rc = /kernsim-oops-end \S+ rc=(\d+)/.exec(part)?.[1] ?? '?';
  const bug = /BUG: kernel NULL pointer dereference, address: ([0-9a-f]{16})/.exec(part);
  const rip = /RIP: 0010:([A-Za-z0-9_.]+)\+/.exec(part);
  if (bug === null || rip === null) return `no oops (driver exit status ${rc})`;
  return `oops: NULL pointer dereference at ${bug[1]} in ${rip[1]} (driver exit status ${rc})`;
}

/** What the model says of loading `obj` on 7.2, in the kernel's words where it is an oops. */
export function modelOops(obj: BpfObject): string {
  try {
    new Session({ version: '7.2' }).load(obj);
    return 'loaded';
  } catch (e) {
    if (!(e instanceof KernelBugError)) return `${e instanceof Error ? e.name : 'error'}: ${String(e instanceof Error ? e.message : e)}`;
    const addr = /at address ([0-9a-f]{16})/.exec(e.what)?.[1] ?? '?';
    return `oops: NULL pointer dereference at ${addr} in ${e.where}`;
  }
}

/** Whether the kernel's outcome is the model's (the driver's exit status aside). */
export function oopsAgree(kernel: string, model: string): boolean {
  return kernel.replace(/ \(driver exit status \d+\)$/, '') === model;
}

export interface OopsResult { readonly c: OopsCase; readonly kernel: string; readonly model: string; readonly ok: boolean }
