/**
 * A kfunc stopped between two of its atomic steps because the scheduler asked the task to stop at
 * its next point where another CPU may act (`Tables.preempt`, set only for an smp world's `call`
 * action): the call goes on from `resume` when the task runs again, like a call that slept (the
 * kfunc is called again with the same arguments and `k.resume` set).
 */
export class Preempt {
  constructor(readonly resume: unknown) {}
}
