/**
 * Storage seams of a Raft node. All calls are synchronous: the real stores (better-sqlite3,
 * fs with fsync) are synchronous, and the driver must not interleave other work between a
 * write and the messages that depend on it.
 *
 * Crash semantics: a write call that returns is durable (fsynced); a crash during a call may
 * leave the old or the new state of what that call wrote (LogStore.append: any prefix of the
 * batch, after torn-tail truncation), never a mix the store cannot detect. A store reports
 * corruption it cannot repair by throwing VectorXLiteError IO_ERROR.
 *
 * The driver persists in this order for each Ready: snapshot, entries, hard state — so a
 * durable commit index never points past durable entries. On restart it reconciles the three
 * (see cluster/consensus/driver.ts `loadDurableState`): entries covered by the snapshot are
 * ignored, a log that does not continue the snapshot is dropped, and a term older than the
 * newest durable entry's is raised to it.
 */
import type { HardState, LogEntry, Snapshot } from '../consensus/types.js';

/**
 * The Raft log: a contiguous run of entries [firstIndex, lastIndex].
 *
 * Checksums belong to the store, not to LogEntry: a durable store computes a checksum over
 * (index, term, type, data) of each entry when writing and verifies it when reading. On open,
 * entries at the tail whose checksum fails or that are cut short (a torn write) are removed,
 * since they were never acknowledged; a bad entry followed by good ones is corruption
 * (IO_ERROR), never silently skipped.
 */
export interface LogStore {
  /** Index of the first stored entry; lastIndex() + 1 when the log is empty. */
  firstIndex(): number;
  /** Index of the last stored entry; firstIndex() - 1 when empty (0 for a fresh store). */
  lastIndex(): number;
  /** Entries with indexes in [from, to], in order. Throws RangeError outside [firstIndex, lastIndex]. */
  entries(from: number, to: number): LogEntry[];
  /**
   * Appends `entries` (contiguous, ascending). If the first one's index is at or below
   * lastIndex(), every stored entry from that index on is deleted first (a conflicting
   * suffix); its index must be at most lastIndex() + 1 (no gaps), else RangeError.
   * Durable on return: group commit means one call, one fsync, for a whole batch.
   */
  append(entries: LogEntry[]): void;
  /**
   * Discards entries with index <= `index` (log compaction after a snapshot). Need not be
   * durable on return: a snapshot covering them is already durable, and entries it covers are
   * ignored on restart. Afterwards firstIndex() is `index + 1` even if fewer entries were held.
   */
  compact(index: number): void;
  /**
   * Deletes every entry and makes the log start after `index` (firstIndex() = index + 1):
   * used when a follower installs a snapshot that conflicts with its log. Durable on return.
   */
  reset(index: number): void;
  close(): void;
}

/** Term, vote and commit (Figure 2 "persistent state"). */
export interface HardStateStore {
  /** The last saved hard state, or null if none was ever saved. */
  load(): HardState | null;
  /**
   * Replaces the hard state atomically. Term and vote are durable on return; a save that
   * changes only the commit index (a hint, relearned from the leader) need not be, but a
   * crash must leave the old hard state or the new one.
   */
  save(state: HardState): void;
  close(): void;
}

/** The latest state machine snapshot. Older snapshots are garbage once a newer one is saved. */
export interface SnapshotStore {
  /** The latest completely saved snapshot, or null. A half-written one is never returned. */
  load(): Snapshot | null;
  /** Saves `snapshot` as the latest (write, fsync, atomic rename). Durable on return. */
  save(snapshot: Snapshot): void;
  close(): void;
}
