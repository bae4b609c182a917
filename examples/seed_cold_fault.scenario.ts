/**
 * Why the seed needs task_work: the same checks made directly in the non-sleepable `lsm/file_open`
 * hook, over a cold page cache, fail with exactly -EFAULT (selftest on_open_expect_fault).
 */
import { EXE, FILE_SIZE, TRIGGER, directReaderObject, userScript } from './file_reader.ts';

export default {
  name: 'seed-cold-fault',
  description: 'The validate_file_read checks in a non-sleepable hook over evicted pages: -EFAULT.',
  version: '6.19',
  files: [
    { path: EXE, size: FILE_SIZE, content: { random: 'file_reader' } },
    { path: TRIGGER, size: 16 },
  ],
  objects: [directReaderObject('lsm/file_open')],
  tasks: [{ comm: 'test_progs', exe: EXE, script: userScript('cold') }],
  expect: {
    globals: { run_success: 0, err: '-EFAULT' },
    calls: [{ fn: 'bpf_dynptr_read', ret: '-EFAULT' }],
    pages: { [EXE]: {} },
    refs: 'baseline',
  },
};
