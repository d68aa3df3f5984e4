// Discrete-event scheduler on a virtual clock. No real timers: time only moves when run()
// executes the next event, so every simulation built on it repeats exactly.

export interface RunOptions {
  /** Run only events scheduled at or before this time (ms); afterwards now() is advanced to it. */
  until?: number;
  /** Throw if more than this many events would run in one call (livelock guard). Default 1e6. */
  maxEvents?: number;
}

interface ClockEvent {
  at: number;
  id: number; // also the tie-breaker: ids increase in scheduling order
  fn: () => void;
}

export class VirtualClock {
  private current = 0;
  private nextId = 1;
  private readonly heap: ClockEvent[] = [];
  private readonly pending = new Set<number>();
  private running = false;

  now(): number {
    return this.current;
  }

  /** Schedule fn at absolute time atMs (>= now). Same-time events run in scheduling order. */
  schedule(atMs: number, fn: () => void): number {
    if (typeof atMs !== 'number' || Number.isNaN(atMs) || !Number.isFinite(atMs)) {
      throw new RangeError(`VirtualClock.schedule: time must be a finite number, got ${atMs}`);
    }
    if (atMs < this.current) {
      throw new RangeError(`VirtualClock.schedule: ${atMs} ms is in the past (now ${this.current} ms)`);
    }
    const id = this.nextId++;
    this.push({ at: atMs, id, fn });
    this.pending.add(id);
    return id;
  }

  /** Schedule fn delayMs (>= 0) after now. */
  after(delayMs: number, fn: () => void): number {
    if (!(delayMs >= 0)) throw new RangeError(`VirtualClock.after: delay must be >= 0, got ${delayMs}`);
    return this.schedule(this.current + delayMs, fn);
  }

  /** Cancel a pending event. Returns false if it already ran, was cancelled, or never existed. */
  cancel(id: number): boolean {
    return this.pending.delete(id);
  }

  /** True when no events are pending. */
  idle(): boolean {
    return this.pending.size === 0;
  }

  /** Run events in time order, advancing now(). Returns the number of events run. */
  run(opts: RunOptions = {}): number {
    const until = opts.until ?? Infinity;
    const maxEvents = opts.maxEvents ?? 1_000_000;
    if (Number.isNaN(until)) throw new RangeError('VirtualClock.run: until is NaN');
    if (this.running) throw new Error('VirtualClock.run: re-entrant call from inside an event');
    this.running = true;
    let count = 0;
    try {
      for (;;) {
        const ev = this.peekLive();
        if (ev === undefined || ev.at > until) break;
        if (count >= maxEvents) {
          throw new Error(
            `VirtualClock.run: more than ${maxEvents} events (now ${this.current} ms); livelock?`,
          );
        }
        this.pop();
        this.pending.delete(ev.id);
        this.current = ev.at;
        count++;
        ev.fn();
      }
      if (until !== Infinity && until > this.current) this.current = until;
    } finally {
      this.running = false;
    }
    return count;
  }

  // --- binary min-heap on (at, id), cancelled events dropped lazily ---

  private peekLive(): ClockEvent | undefined {
    while (this.heap.length > 0 && !this.pending.has(this.heap[0].id)) this.pop();
    return this.heap[0];
  }

  private static less(a: ClockEvent, b: ClockEvent): boolean {
    return a.at < b.at || (a.at === b.at && a.id < b.id);
  }

  private push(ev: ClockEvent): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!VirtualClock.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): ClockEvent | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && VirtualClock.less(h[l], h[m])) m = l;
        if (r < h.length && VirtualClock.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
