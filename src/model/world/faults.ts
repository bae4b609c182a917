/**
 * Injected allocation failures: the `-ENOMEM` paths of kernel allocations (`kmalloc`,
 * `bpf_mem_alloc`) the model performs. (Injected I/O errors are the page cache's: fs/cache.ts.)
 */
import { ArgumentError } from '../kernel/errors.ts';
import { checkKern, emit, type Kern } from './world.ts';

/** Make the next `times` kernel allocations the model performs fail (`-ENOMEM` paths). */
export function injectAllocFailure(k: Kern, times = 1): void {
  checkKern('k', k);
  if (!Number.isSafeInteger(times) || times < 1) throw new ArgumentError('times', times, 'a positive integer');
  const faults = k.t.ownFaults();
  faults.alloc += times;
  emit(k, { kind: 'fault', t: k.t.now, what: 'alloc', count: faults.alloc });
}

/** An allocation (`kmalloc`, `bpf_mem_alloc`): false when an injected failure is consumed. */
export function allocate(k: Kern): boolean {
  if (k.t.faults.alloc > 0) {
    k.t.ownFaults().alloc -= 1;
    return false;
  }
  return true;
}
