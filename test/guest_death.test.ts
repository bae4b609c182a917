/**
 * conformance/oops.ts `guestDeath`: why the race tier's guest died, as the tier reports it before it
 * boots the guest again (conformance/guest-tier.ts, `raceTier`). The consoles below are in the form
 * the 7.2 guest prints (the oops cases' kernel log, docs/conformance.md).
 */
import { describe, expect, test } from 'vitest';
import { guestDeath } from '../conformance/oops.ts';

const oops = [
  '[    3.101] bpf: a line before',
  '[  472.504964] BUG: kernel NULL pointer dereference, address: 0000000000000014',
  '[  472.506057] #PF: error_code(0x0000) - not-present page',
  '[  472.506452] Oops: Oops: 0000 [#1] SMP NOPTI',
  '[  472.506916] RIP: 0010:bpf_task_work_irq+0x41/0x90',
  '[  472.507000] RIP: 0010:later_frame+0x1/0x2',
].join('\n');

describe('guestDeath', () => {
  test('the first oops line, without its timestamp, and the function of the first RIP after it', () => {
    expect(guestDeath(125, oops)).toBe(
      'the command never finished; the kernel: BUG: kernel NULL pointer dereference, address: 0000000000000014 at bpf_task_work_irq+0x41',
    );
  });

  test('an int3 oops in early boot, with no RIP line; a time-out', () => {
    const c = '[    0.912] smp: Bringing up secondary CPUs ...\n[    0.950] int3: 0000 [#1] SMP\n[    0.951] ---[ end trace ]---';
    expect(guestDeath(124, c)).toBe('timed out; the kernel: int3: 0000 [#1] SMP');
  });

  test('a RIP before the oops is not its RIP', () => {
    const c = '[ 1.0] RIP: 0010:earlier+0x1/0x2\n[ 2.0] general protection fault, probably for non-canonical address\n';
    expect(guestDeath(125, c)).toBe('the command never finished; the kernel: general protection fault, probably for non-canonical address');
  });

  test('no oops: the last non-empty line, cut to 160 characters; another status is named as it is', () => {
    expect(guestDeath(3, `[ 1.0] a\n[ 2.0] ${'x'.repeat(300)}\n\n  \n`)).toBe(`exit 3; no oops in the console, its last line: [ 2.0] ${'x'.repeat(153)}`);
    expect(guestDeath(124, 'Booting from ROM..\x1bc\x1b[?7l\x1b[2Jqemu: terminating on signal 15\r\n')).toBe('timed out; no oops in the console, its last line: Booting from ROM..qemu: terminating on signal 15');
    expect(guestDeath(0, '')).toBe('exit 0; no oops in the console, its last line: (empty console)');
  });
});
