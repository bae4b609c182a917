/**
 * The seed scenario as a scenario file (a TypeScript module: it reuses the program value of
 * examples/file_reader.ts instead of writing it twice). Run: `npx kernsim run examples/seed.scenario.ts`.
 */
import { EXE, FILE_SIZE, TRIGGER, fileReaderObject, userScript } from './file_reader.ts';

export default {
  name: 'seed',
  description: 'lsm/file_open schedules signal-mode task_work; the sleepable callback reads the exe through a file dynptr (selftest on_open_validate_file_read).',
  version: '6.19',
  files: [
    { path: EXE, size: FILE_SIZE, content: { random: 'file_reader' } },
    { path: TRIGGER, size: 16 },
  ],
  objects: [fileReaderObject('6.19')],
  tasks: [{ comm: 'test_progs', exe: EXE, script: userScript('warm') }],
  expect: {
    globals: { run_success: 1, err: 0 },
    calls: [
      { fn: 'bpf_task_work_schedule_signal_impl', ret: 0 },
      { fn: 'bpf_dynptr_read', nth: 5, ret: '-E2BIG' },
      { fn: 'bpf_dynptr_read', nth: 6, ret: '-E2BIG' },
    ],
    runs: [{ program: 'task_work_callback', times: 1 }],
    verifier: [{ program: 'on_open_validate_file_read', ok: true }],
    refs: 'baseline',
  },
};
