/**
 * Simulated time: a clock that jumps from event to event. Events at the same time run in the
 * order they were scheduled, so a run is a pure function of its seed.
 */
interface Scheduled {
  at: number;
  seq: number;
  run: () => void;
}

export class Scheduler {
  private heap: Scheduled[] = [];
  private seq = 0;
  /** Simulated milliseconds since the start. */
  now = 0;

  at(time: number, run: () => void): void {
    this.push({ at: Math.max(time, this.now), seq: this.seq++, run });
  }

  after(delay: number, run: () => void): void {
    this.at(this.now + delay, run);
  }

  /** Runs the next event (advancing the clock); false when none is left. */
  runNext(): boolean {
    const next = this.pop();
    if (!next) return false;
    this.now = next.at;
    next.run();
    return true;
  }

  private before(a: Scheduled, b: Scheduled): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(item: Scheduled): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private pop(): Scheduled | undefined {
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
        let min = i;
        if (l < h.length && this.before(h[l], h[min])) min = l;
        if (r < h.length && this.before(h[r], h[min])) min = r;
        if (min === i) break;
        [h[i], h[min]] = [h[min], h[i]];
        i = min;
      }
    }
    return top;
  }
}
