/**
 * The consensus module's in-memory view of its log: entries after a base (the last compacted
 * index, whose term is remembered so the consistency check still works right after it).
 * Durability is the driver's job; this class only tracks content.
 */
import type { LogEntry } from './types.js';

export class RaftLog {
  private baseIndex: number;
  private baseTerm: number;
  private entries: LogEntry[];

  constructor(baseIndex: number, baseTerm: number, entries: LogEntry[]) {
    this.baseIndex = baseIndex;
    this.baseTerm = baseTerm;
    this.entries = [];
    for (const entry of entries) {
      if (entry.index <= baseIndex) continue;
      if (entry.index !== this.lastIndex() + 1) throw new RangeError(`log entries are not contiguous at ${entry.index}`);
      this.entries.push(entry);
    }
  }

  /** Index of the first entry held in memory (the base index + 1). */
  firstIndex(): number {
    return this.baseIndex + 1;
  }

  lastIndex(): number {
    return this.baseIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.entries.length === 0 ? this.baseTerm : this.entries[this.entries.length - 1].term;
  }

  /** Term of the entry at `index`; undefined when compacted away or beyond the end. */
  term(index: number): number | undefined {
    if (index === this.baseIndex) return this.baseTerm;
    if (index < this.baseIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.baseIndex - 1].term;
  }

  entry(index: number): LogEntry | undefined {
    if (index <= this.baseIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.baseIndex - 1];
  }

  /** Entries in [from, to]; both must be within [firstIndex, lastIndex]. */
  slice(from: number, to: number): LogEntry[] {
    if (from > to) return [];
    if (from <= this.baseIndex || to > this.lastIndex()) throw new RangeError(`log slice [${from}, ${to}] out of range`);
    return this.entries.slice(from - this.baseIndex - 1, to - this.baseIndex);
  }

  /** §5.4.1: is a log ending at (lastIndex, lastTerm) at least as up-to-date as this one? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** Appends entries that continue the log; `entries[0].index` must be lastIndex + 1. */
  append(entries: LogEntry[]): void {
    for (const entry of entries) {
      if (entry.index !== this.lastIndex() + 1) throw new RangeError(`append at ${entry.index} leaves a gap after ${this.lastIndex()}`);
      this.entries.push(entry);
    }
  }

  /** Removes every entry at or after `index` (a conflicting suffix). */
  truncateFrom(index: number): void {
    if (index <= this.baseIndex) throw new RangeError(`cannot truncate compacted index ${index}`);
    this.entries.length = Math.max(0, index - this.baseIndex - 1);
  }

  /** The first index of the run of entries with the same term as `index`, not below the base. */
  firstIndexOfTerm(index: number): number {
    const term = this.term(index);
    let first = index;
    while (first - 1 > this.baseIndex && this.term(first - 1) === term) first--;
    return first;
  }

  /** The last index whose term is `term`, or 0. Terms only grow along the log, so scanning back stops early. */
  lastIndexOfTerm(term: number): number {
    for (let i = this.lastIndex(); i > this.baseIndex; i--) {
      const t = this.entries[i - this.baseIndex - 1].term;
      if (t === term) return i;
      if (t < term) return 0;
    }
    return this.baseTerm === term ? this.baseIndex : 0;
  }

  /** Drops entries up to and including `index`, which must be held (or be the base). */
  compact(index: number): void {
    if (index <= this.baseIndex) return;
    const term = this.term(index);
    if (term === undefined) throw new RangeError(`cannot compact to ${index}: beyond the last index ${this.lastIndex()}`);
    this.entries = this.entries.slice(index - this.baseIndex);
    this.baseIndex = index;
    this.baseTerm = term;
  }

  /** Replaces the whole log by a snapshot's position. */
  reset(index: number, term: number): void {
    this.entries = [];
    this.baseIndex = index;
    this.baseTerm = term;
  }

  /** Entries after `index` (for finding config entries), newest last. */
  entriesAfter(index: number): LogEntry[] {
    return this.entries.slice(Math.max(0, index - this.baseIndex));
  }
}
