/**
 * A syscall of a task's script and a queued work as the trace writes them (`open("/f") as f`,
 * `pread(f, 16, 0)`, `____fput(file#3)`, …). Functions of the syscall or the work alone: the trace
 * keeps the syscall or the work's function and writes its text when it is read (world/trace.ts), so
 * a run makes no text for the syscalls it enters nor for the works it queues and runs, nor for the
 * timer sleeps it starts (`describeTimerSleep`).
 */
import { describeOpenFlags, parseOpenFlags } from '../fs/open_flags.ts';
import { testRunLength } from '../packet/types.ts';
import type { Syscall, WorkFn } from './types.ts';

/** The detail of a task's `sleep` event when it sleeps until a timer (nanosleep) expires at `until`. */
export function describeTimerSleep(until: number): string {
  return `interruptible until t=${until}`;
}

/** The text of `sys` in the trace. */
export function describeSyscall(sys: Syscall): string {
  switch (sys.sys) {
    case 'open': return `open("${sys.path}"${sys.flags === undefined ? '' : `, ${describeOpenFlags(parseOpenFlags(sys.flags))}`}) as ${sys.fd}`;
    case 'read': return `pread(${sys.fd}, ${sys.len}, ${sys.offset})${sys.into === undefined ? '' : ` into ${sys.into}`}`;
    case 'write': return sys.offset === undefined ? `write(${sys.fd}, ${sys.len})` : `pwrite(${sys.fd}, ${sys.len}, ${sys.offset})`;
    case 'ftruncate': return `ftruncate(${sys.fd}, ${sys.length})`;
    case 'fsync': return `fsync(${sys.fd})`;
    case 'fadvise': return `posix_fadvise(${sys.fd}, ${sys.offset}, ${sys.len}, ${typeof sys.advice === 'number' ? sys.advice : adviceName(sys.advice)})`;
    case 'mmap': return `mmap(NULL, 4096, PROT_READ, MAP_SHARED, ${sys.fd}, 0)`;
    case 'close': return `close(${sys.fd})`;
    case 'fadvise_dontneed': return `posix_fadvise(${sys.fd}, 0, 0, POSIX_FADV_DONTNEED)`;
    case 'sleep': return `nanosleep(${sys.ticks})`;
    case 'set_global': return `(user space) skel->bss->${sys.global} = ${sys.value === 'pid' ? 'getpid()' : String(sys.value)}`;
    case 'map_update': return `bpf(BPF_MAP_UPDATE_ELEM, ${sys.map}[${sys.key}])`;
    case 'map_delete': return `bpf(BPF_MAP_DELETE_ELEM, ${sys.map}[${sys.key}])`;
    case 'map_get_next_key': return `bpf(BPF_MAP_GET_NEXT_KEY, ${sys.map}, ${sys.key ?? 'NULL'})${sys.into === undefined ? '' : ` into ${sys.into}`}`;
    case 'map_close': return `close(${sys.map} fd)`;
    case 'task_work_add': return `task_work_add(self, ${sys.label}, ${sys.mode})`;
    case 'prog_test_run': return `bpf(BPF_PROG_TEST_RUN, ${sys.prog}${sys.data === undefined ? '' : `, data_in[${testRunLength(sys.data)}]`})`;
    case 'ringbuf_consume': return `ring_buffer__consume(${sys.map})${sys.into === undefined ? '' : ` into ${sys.into}`}`;
    case 'user_write': return `(user space) strcpy(${String(sys.addr)}, ${JSON.stringify(sys.text)})`;
    case 'exit': return 'exit()';
    case 'fork': return `fork() (the child: ${sys.script.length} syscall${sys.script.length === 1 ? '' : 's'})`;
    case 'wait': return 'wait4(-1, NULL, 0, NULL)';
  }
}

function adviceName(a: string): string {
  return a.startsWith('POSIX_FADV_') ? a : `POSIX_FADV_${a}`;
}

/** The text of a queued work's function in the trace. */
export function describeWork(fn: WorkFn): string {
  switch (fn.kind) {
    case 'bpf_task_work':
      return `bpf_task_work_callback(ctx#${fn.ctx})`;
    case 'fput':
      return `____fput(file#${fn.file})`;
    case 'note':
      return `note(${fn.label})`;
  }
}
