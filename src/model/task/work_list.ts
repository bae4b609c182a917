/**
 * A task's list of task_works as the kernel keeps it (`task->task_works`, kernel/task_work.c): a
 * singly linked list, newest first. `task_work_add` links a work at the head; `task_work_run` detaches
 * the whole list and walks it from the head; `task_work_cancel` unlinks one work.
 *
 * A `WorkList` is a value: adding makes a new head that shares every older work with the list it was
 * made from, so a transition's copy of a task shares its list in O(1), an add is O(1) however many
 * works are queued, and a batch is walked by moving to the rest, O(1) a work.
 */

/** `Work` is a work (types.ts `Work`), known by its id. */
export class WorkList<Work extends { readonly id: number }> implements Iterable<Work> {
  /** The empty list (`task->task_works` NULL). */
  static empty<W extends { readonly id: number }>(): WorkList<W> {
    // One empty list serves every item type: it holds nothing.
    return WorkList.#EMPTY as unknown as WorkList<W>;
  }

  static readonly #EMPTY: WorkList<{ readonly id: number }> = new WorkList<{ readonly id: number }>(undefined, undefined, 0);

  /** The newest work (the list's head), undefined for the empty list. */
  readonly head: Work | undefined;
  /** How many works the list holds. */
  readonly length: number;
  readonly #rest: WorkList<Work> | undefined;

  private constructor(head: Work | undefined, rest: WorkList<Work> | undefined, length: number) {
    this.head = head;
    this.#rest = rest;
    this.length = length;
  }

  /** The list after its head (the empty list stays empty). */
  get rest(): WorkList<Work> {
    return this.#rest ?? WorkList.empty<Work>();
  }

  /** `work` linked at the head (`task_work_add`'s list). */
  add(work: Work): WorkList<Work> {
    return new WorkList(work, this, this.length + 1);
  }

  /** The work of id `id` and the list without it (`task_work_cancel`), or null when none is queued. */
  remove(id: number): { readonly list: WorkList<Work>; readonly work: Work } | null {
    const before: Work[] = [];
    for (let l: WorkList<Work> = this; l.head !== undefined; l = l.rest) {
      if (l.head.id === id) {
        let list = l.rest;
        for (let i = before.length - 1; i >= 0; i -= 1) list = list.add(before[i] as Work);
        return { list, work: l.head };
      }
      before.push(l.head);
    }
    return null;
  }

  /** The works newest first, the order `task_work_run` runs them. */
  *[Symbol.iterator](): Iterator<Work> {
    for (let l: WorkList<Work> = this; l.head !== undefined; l = l.rest) yield l.head;
  }

  /** The works newest first, as an array. */
  toArray(): Work[] {
    const out: Work[] = [];
    for (let l: WorkList<Work> = this; l.head !== undefined; l = l.rest) out.push(l.head);
    return out;
  }
}
