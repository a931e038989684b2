/**
 * One timer for all the connections of a server: a binary min-heap of alarms ordered by the time
 * they are due, and a single Node timer armed for the earliest. A connection costs one slot in the
 * heap (and two numbers on itself) instead of a `Timeout` object and a closure of its own, which is
 * what an idle connection is made of; moving an alarm is O(log n) and allocates nothing.
 *
 * An alarm fires no earlier than the time it was set for (like `setTimeout`). Alarms due in the
 * same turn fire in the order of their times.
 */

/** Something the clock can wake: the clock keeps its place in the heap on it. */
export interface Alarm {
  /** When it is due (ms, `Date.now()` scale); Infinity while not in the heap. */
  alarmAt: number;
  /** Its index in the heap, or -1 while not in the heap. Owned by the clock. */
  alarmSlot: number;
  /** Called once when due (the alarm is out of the heap by then). */
  ring(now: number): void;
}

export class Clock {
  readonly #heap: Alarm[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** When the Node timer is armed for; Infinity when it is not. */
  #armedAt = Infinity;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Alarms waiting (for tests and diagnostics). */
  get size(): number {
    return this.#heap.length;
  }

  /** Set `alarm` for `at` (moving it if it is set already); Infinity cancels it. */
  set(alarm: Alarm, at: number): void {
    if (at === Infinity) {
      this.cancel(alarm);
      return;
    }
    const heap = this.#heap;
    const slot = alarm.alarmSlot;
    const before = alarm.alarmAt;
    alarm.alarmAt = at;
    if (slot < 0) {
      alarm.alarmSlot = heap.length;
      heap.push(alarm);
      this.#up(heap.length - 1);
    } else if (at < before) this.#up(slot);
    else this.#down(slot);
    if (at < this.#armedAt) this.#arm(at);
  }

  /** Take `alarm` out, if it is set. */
  cancel(alarm: Alarm): void {
    const slot = alarm.alarmSlot;
    alarm.alarmAt = Infinity;
    if (slot < 0) return;
    alarm.alarmSlot = -1;
    const heap = this.#heap;
    const last = heap.pop()!;
    if (last !== alarm) {
      heap[slot] = last;
      last.alarmSlot = slot;
      this.#down(slot);
      this.#up(last.alarmSlot);
    }
    // The Node timer is left armed: when it fires early it re-arms for the earliest (or not at all).
    if (heap.length === 0) this.#disarm();
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedAt = at;
    this.#timer = setTimeout(this.#fire, Math.max(0, at - this.#now()));
    this.#timer.unref();
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Infinity;
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    const heap = this.#heap;
    const now = this.#now();
    // Ring what is due; a ring may set or cancel alarms (its own included), so re-read the top each time.
    for (let top = heap[0]; top !== undefined && top.alarmAt <= now; top = heap[0]) {
      this.cancel(top);
      try {
        top.ring(now);
      } catch (error) {
        // One alarm's failure must not stop the others (nor the clock): rethrow outside this turn.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    const next = heap[0];
    if (next !== undefined && next.alarmAt < this.#armedAt) this.#arm(next.alarmAt);
  };

  #up(i: number): void {
    const heap = this.#heap;
    const item = heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p]!;
      if (parent.alarmAt <= item.alarmAt) break;
      heap[i] = parent;
      parent.alarmSlot = i;
      i = p;
    }
    heap[i] = item;
    item.alarmSlot = i;
  }

  #down(i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const item = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      let child = heap[l]!;
      if (r < n && heap[r]!.alarmAt < child.alarmAt) {
        c = r;
        child = heap[r]!;
      }
      if (child.alarmAt >= item.alarmAt) break;
      heap[i] = child;
      child.alarmSlot = i;
      i = c;
    }
    heap[i] = item;
    item.alarmSlot = i;
  }
}
