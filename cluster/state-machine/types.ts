/**
 * The StateMachine seam: what committed entries are applied to (the engine, in the cluster).
 *
 * The driver calls these one at a time, never concurrently, in log order.
 */
import type { LogEntry, Snapshot } from '../consensus/types.js';

export interface StateMachine<Result = unknown> {
  /**
   * Applies one committed entry. Called for every committed index in order, including `noop`
   * and `config` entries (which change no data but advance the applied index), so the applied
   * index can be stored atomically with the data and no entry is applied twice across restarts.
   *
   * A command that fails deterministically (the same on every replica, e.g. a constraint
   * violation) is a result, not an exception: return it, so the client learns it and every
   * replica stays identical. Throwing means this node cannot go on (disk failure); the driver
   * stops the node.
   */
  apply(entry: LogEntry): Promise<Result>;
  /**
   * Optional: applies consecutive committed entries in order, with exactly the results and
   * the state that apply() on each in turn would give; a state machine may combine their
   * work (one transaction, one call). The driver uses it for a Ready's committed entries.
   */
  applyBatch?(entries: LogEntry[]): Promise<Result[]>;
  /**
   * Captures the state as of the last applied entry. The driver does not apply while this
   * runs. The bytes are opaque to the consensus and given back to restore() on this or
   * another node.
   */
  snapshot(): Promise<Uint8Array>;
  /** Replaces the whole state with `snapshot`; afterwards appliedIndex() is snapshot.meta.index. */
  restore(snapshot: Snapshot): Promise<void>;
  /**
   * The index of the last applied entry (0 if none). A durable state machine returns what
   * survived a restart; a volatile one returns 0 after a restart and is rebuilt from the
   * snapshot plus replay.
   */
  appliedIndex(): Promise<number>;
}
