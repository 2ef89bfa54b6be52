/**
 * In-memory stores: the reference implementations of the storage seams. Every write is
 * "durable" the moment it returns for as long as the object lives, which is exactly what the
 * simulator's disk needs: it keeps these objects across a simulated crash and drops the rest.
 */
import type { HardState, LogEntry, Snapshot } from '../consensus/types.js';
import type { HardStateStore, LogStore, SnapshotStore } from './types.js';

export class MemoryLogStore implements LogStore {
  private base = 0;
  private log: LogEntry[] = [];

  firstIndex(): number {
    return this.base + 1;
  }

  lastIndex(): number {
    return this.base + this.log.length;
  }

  entries(from: number, to: number): LogEntry[] {
    if (from > to) return [];
    if (from < this.firstIndex() || to > this.lastIndex()) {
      throw new RangeError(`entries [${from}, ${to}] are outside the stored log [${this.firstIndex()}, ${this.lastIndex()}]`);
    }
    return this.log.slice(from - this.base - 1, to - this.base);
  }

  append(entries: LogEntry[]): void {
    if (entries.length === 0) return;
    const first = entries[0].index;
    if (first > this.lastIndex() + 1) throw new RangeError(`append at ${first} would leave a gap after ${this.lastIndex()}`);
    if (first <= this.base) throw new RangeError(`append at ${first} rewrites compacted entries (log starts at ${this.firstIndex()})`);
    for (let i = 1; i < entries.length; i++) {
      if (entries[i].index !== first + i) throw new RangeError('appended entries must be contiguous');
    }
    this.log.length = first - this.base - 1;
    for (const e of entries) this.log.push({ ...e, data: e.data.slice() });
  }

  compact(index: number): void {
    if (index <= this.base) return;
    this.log = this.log.slice(Math.min(index - this.base, this.log.length));
    this.base = index;
  }

  reset(index: number): void {
    this.log = [];
    this.base = index;
  }

  close(): void {}
}

export class MemoryHardStateStore implements HardStateStore {
  private state: HardState | null = null;

  load(): HardState | null {
    return this.state === null ? null : { ...this.state };
  }

  save(state: HardState): void {
    this.state = { ...state };
  }

  close(): void {}
}

export class MemorySnapshotStore implements SnapshotStore {
  private latest: Snapshot | null = null;

  load(): Snapshot | null {
    return this.latest;
  }

  save(snapshot: Snapshot): void {
    this.latest = { meta: structuredClone(snapshot.meta), data: snapshot.data.slice() };
  }

  close(): void {}
}
