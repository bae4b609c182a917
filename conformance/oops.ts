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

/**
 * Why a guest died, from its console log: the first line of a kernel oops or panic (`BUG:`,
 * `Oops:`, `int3:`, `general protection fault`, `Kernel panic`) with the function of the first
 * `RIP:` after it, or the console's last non-empty line when it shows none. `exit` is run-guest.sh's
 * status (124 timed out, 125 the command never finished).
 */
export function guestDeath(exit: number, console: string): string {
  // The firmware's terminal escapes and control characters are not text.
  const lines = console.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[A-Za-z]|[\x00-\x09\x0b-\x1f\x7f]/g, '').split('\n');
  const at = lines.findIndex((l) => /(BUG: |Oops: |int3: |general protection fault|Kernel panic)/.test(l));
  const how = exit === 124 ? 'timed out' : exit === 125 ? 'the command never finished' : `exit ${exit}`;
  if (at < 0) {
    const last = lines.map((l) => l.trim()).filter((l) => l !== '').pop() ?? '(empty console)';
    return `${how}; no oops in the console, its last line: ${last.slice(0, 160)}`;
  }
  const head = lines[at]!.replace(/^\[[ \d.]+\]\s*/, '').trim();
  const rip = lines.slice(at).map((l) => /RIP: 0010:([A-Za-z0-9_.]+\+0x[0-9a-f]+)/.exec(l)?.[1]).find((x) => x !== undefined);
  return `${how}; the kernel: ${head.slice(0, 160)}${rip === undefined ? '' : ` at ${rip}`}`;
}

export interface OopsResult { readonly c: OopsCase; readonly kernel: string; readonly model: string; readonly ok: boolean }
