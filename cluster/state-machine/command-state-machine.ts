/**
 * Applies committed commands to a database, in log order, each exactly once, with the client
 * dedup table; snapshots are the database's snapshot file plus that table. The database is the
 * embedded engine (EngineStateMachine) or a standalone server (RemoteStateMachine); they differ
 * only in how they are opened and how a snapshot file is written and read back.
 *
 * Both are volatile state rebuilt as snapshot plus replay (docs/state-machine.md): they start
 * empty with appliedIndex 0, and the driver restores the last Raft snapshot and replays the log.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { decodeCommand } from '../commands/codec.js';
import type { CommandEngine } from '../commands/engine.js';
import type { Command, CommandResult } from '../commands/types.js';
import { validateCommand } from '../commands/validate.js';
import type { LogEntry, Snapshot } from '../consensus/types.js';
import { DedupTable } from './dedup.js';
import { executeCommand, failureOf } from './execute.js';
import { decodeStateSnapshot, encodeStateSnapshot } from './snapshot-codec.js';
import type { StateMachine } from './types.js';

export abstract class CommandStateMachine<E extends CommandEngine> implements StateMachine<CommandResult> {
  private applied = 0;

  protected constructor(
    protected readonly db: E,
    /** Where a snapshot file is staged while it is written or read back. */
    private readonly snapshotFile: string,
    private dedup: DedupTable,
  ) {}

  /** Writes the database's snapshot to `file` (docs/snapshot-format.md). */
  protected abstract exportSnapshot(file: string): Promise<unknown>;
  /** Replaces the database's data with the snapshot in `file`. */
  protected abstract importSnapshot(file: string): Promise<unknown>;
  abstract close(): Promise<void>;

  /** The database, for reads (search, collectionExists). Writes go through the log only. */
  get engine(): E {
    return this.db;
  }

  async apply(entry: LogEntry): Promise<CommandResult> {
    if (entry.index !== this.applied + 1) {
      throw new RangeError(`entry ${entry.index} applied out of order (last applied ${this.applied})`);
    }
    this.dedup.expire(entry.index);
    const result = entry.type === 'command' ? await this.applyCommand(entry) : { ok: true as const };
    this.applied = entry.index;
    return result;
  }

  private async applyCommand(entry: LogEntry): Promise<CommandResult> {
    let command: Command;
    try {
      command = decodeCommand(entry.data);
    } catch (error) {
      return failureOf(error);
    }
    const seen = this.dedup.seen(command.clientId, command.seq);
    if (seen !== undefined) return seen;
    const result = await executeCommand(this.db, command);
    this.dedup.record(command.clientId, command.seq, entry.index, result);
    return result;
  }

  async snapshot(): Promise<Uint8Array> {
    try {
      await this.exportSnapshot(this.snapshotFile);
      return encodeStateSnapshot(this.applied, this.dedup.rows(), await readFile(this.snapshotFile));
    } finally {
      await rm(this.snapshotFile, { force: true });
    }
  }

  async restore(snapshot: Snapshot): Promise<void> {
    const state = decodeStateSnapshot(snapshot.data);
    if (state.appliedIndex !== snapshot.meta.index) {
      throw new RangeError(`snapshot data is at ${state.appliedIndex} but its metadata says ${snapshot.meta.index}`);
    }
    const dedup = DedupTable.fromRows(state.dedupRows, this.dedup.window);
    try {
      await writeFile(this.snapshotFile, state.engineFile);
      await this.importSnapshot(this.snapshotFile);
    } finally {
      await rm(this.snapshotFile, { force: true });
    }
    this.dedup = dedup;
    this.applied = state.appliedIndex;
  }

  async appliedIndex(): Promise<number> {
    return this.applied;
  }

  /** What the leader checks before proposing `command` (see validateCommand). */
  validate(command: Command): Promise<void> {
    return validateCommand(command, this.db);
  }

  /**
   * The engine's own digest (VectorXLite.digest(), or the standalone server's Digest RPC,
   * which computes the same): a SHA-256 (hex) of the data, equal on replicas that applied
   * the same entries, whether they are embedded or --vector-addr nodes.
   */
  digest(): Promise<string> {
    return this.db.digest();
  }

  /** The last applied sequence of `clientId` (0 if none remembered). */
  lastSequence(clientId: string): number {
    return this.dedup.lastSequence(clientId);
  }

  /** Clients currently remembered by the dedup table. */
  get dedupSize(): number {
    return this.dedup.size;
  }
}
