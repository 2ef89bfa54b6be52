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
import { checkCommand, validateCommand } from '../commands/validate.js';
import type { LogEntry, Snapshot } from '../consensus/types.js';
import { CollectionInfoCache } from './collection-cache.js';
import { DedupTable } from './dedup.js';
import { executeCommand, failureOf } from './execute.js';
import { decodeStateSnapshot, encodeStateSnapshot } from './snapshot-codec.js';
import type { StateMachine } from './types.js';

type InsertCommand = Extract<Command, { type: 'insert' }>;

/** Consecutive log entries, each a new single-point insert into one collection. */
type InsertRun = Array<{ entry: LogEntry; command: InsertCommand }>;

/**
 * Inserts combined into one database call at most: far below any server's batch limit, so a
 * standalone server never refuses the combination for its size.
 */
const MAX_INSERT_RUN = 64;

export abstract class CommandStateMachine<E extends CommandEngine> implements StateMachine<CommandResult> {
  private applied = 0;
  /** What validate() knows of the collections, without a database call each time. */
  private readonly collections: CollectionInfoCache;

  protected constructor(
    protected readonly db: E,
    /** Where a snapshot file is staged while it is written or read back. */
    private readonly snapshotFile: string,
    private dedup: DedupTable,
  ) {
    this.collections = new CollectionInfoCache(db);
  }

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

  /**
   * The results and the data of apply() on each entry in turn, in fewer database calls: a run
   * of new single-point inserts into one collection (concurrent clients' writes, committed
   * together) goes to the database as one insertBatch, one transaction. The database takes a
   * batch all or nothing and inserts its points exactly as one insert each, so when it refuses
   * the run (one point is invalid), nothing changed and the run is applied entry by entry,
   * where that point fails alone, as it would have.
   */
  async applyBatch(entries: LogEntry[]): Promise<CommandResult[]> {
    const results: CommandResult[] = [];
    let next = 0;
    while (next < entries.length) {
      const run = this.insertRun(entries, next);
      if (run.length > 1 && (await this.insertTogether(run))) {
        for (let i = 0; i < run.length; i++) results.push({ ok: true });
        next += run.length;
        continue;
      }
      for (const entry of run.length > 1 ? run.map((r) => r.entry) : [entries[next]]) results.push(await this.apply(entry));
      next += Math.max(run.length, 1);
    }
    return results;
  }

  /**
   * The inserts from `entries[from]` on that may share a call: valid on their own, into the
   * same collection, neither retries the dedup table knows nor two writes of one client
   * (whose dedup answers would depend on each other).
   */
  private insertRun(entries: LogEntry[], from: number): InsertRun {
    const run: InsertRun = [];
    const clients = new Set<string>();
    for (let i = from; i < entries.length && run.length < MAX_INSERT_RUN; i++) {
      const entry = entries[i];
      const command = entry.type === 'command' ? decodedInsert(entry.data) : undefined;
      if (command === undefined || (run.length > 0 && command.collection !== run[0].command.collection)) break;
      if (clients.has(command.clientId) || this.dedup.seen(command.clientId, command.seq) !== undefined) break;
      clients.add(command.clientId);
      run.push({ entry, command });
    }
    return run;
  }

  /** Inserts the run in one call; false (and nothing changed) when the database refuses it. */
  private async insertTogether(run: InsertRun): Promise<boolean> {
    if (run[0].entry.index !== this.applied + 1) {
      throw new RangeError(`entry ${run[0].entry.index} applied out of order (last applied ${this.applied})`);
    }
    try {
      await this.db.insertBatch(run[0].command.collection, run.map((r) => r.command.point));
    } catch (error) {
      failureOf(error); // rethrows what is not a refusal every replica would make alike
      return false;
    }
    // The dedup table as apply() leaves it: expire, then record, entry by entry.
    for (const { entry, command } of run) {
      this.dedup.expire(entry.index);
      this.dedup.record(command.clientId, command.seq, entry.index, { ok: true });
      this.applied = entry.index;
    }
    return true;
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
    try {
      const result = await executeCommand(this.db, command);
      this.dedup.record(command.clientId, command.seq, entry.index, result);
      return result;
    } finally {
      if (command.type === 'createCollection' || command.type === 'deleteCollection') this.collections.invalidate();
    }
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
      this.collections.invalidate();
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
    return validateCommand(command, this.collections);
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

/** The entry's command if it is an insert that passes the checks of the command alone. */
function decodedInsert(data: Uint8Array): InsertCommand | undefined {
  try {
    const command = decodeCommand(data);
    if (command.type !== 'insert') return undefined;
    checkCommand(command);
    return command;
  } catch {
    return undefined;
  }
}
