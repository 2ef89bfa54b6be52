/**
 * The cluster's state machine over the VectorXLite engine: applies committed commands to a
 * database of its own, in log order, each exactly once.
 *
 * Exactly once comes from volatile state rebuilt as snapshot plus replay (docs/state-machine.md):
 * the engine cannot store the applied index in the same transaction as a write, so after a
 * restart nothing on disk says which entries the database already holds. open() therefore
 * discards the previous database and reports appliedIndex 0; the driver restores the last
 * Raft snapshot (which carries its index) and replays the log after it. The database file
 * only keeps memory bounded; it is never trusted across a restart.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VectorXLiteError } from '../../src/errors.js';
import { VectorXLite } from '../../src/embedded/database.js';
import type { OpenOptions } from '../../src/embedded/types.js';
import { decodeCommand } from '../commands/codec.js';
import type { Command, CommandResult } from '../commands/types.js';
import { validateCommand } from '../commands/validate.js';
import type { LogEntry, Snapshot } from '../consensus/types.js';
import { DEFAULT_DEDUP_WINDOW, DedupTable } from './dedup.js';
import { engineDigest } from './engine-digest.js';
import { executeCommand, failureOf } from './execute.js';
import { decodeStateSnapshot, encodeStateSnapshot } from './snapshot-codec.js';
import type { StateMachine } from './types.js';

export interface EngineStateMachineOptions {
  /** A directory of its own: open() deletes the database it left there and refuses to run beside other files. */
  dataDir: string;
  /** Log entries a silent client stays in the dedup table; must be the same on every node. */
  dedupWindow?: number;
  engine?: OpenOptions;
}

const DATABASE_FILE = 'state.db';
const SNAPSHOT_FILE = 'snapshot.vxlsnap';

/** The database file, its SQLite journals and the engine's index folder, or a snapshot in transit. */
function isOwnFile(name: string): boolean {
  return name === SNAPSHOT_FILE || name === DATABASE_FILE || name.startsWith(`${DATABASE_FILE}-`) || name.startsWith(`${DATABASE_FILE}.`);
}

/**
 * Deletes what an earlier run left in `dir`. Anything else there means the directory was
 * misconfigured (a node's data dir, say), and deleting it could destroy Raft state.
 */
async function discardEarlierState(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const names = await readdir(dir);
  const foreign = names.filter((name) => !isOwnFile(name));
  if (foreign.length > 0) {
    throw new VectorXLiteError(
      'FAILED_PRECONDITION',
      `the state machine directory ${dir} holds files it did not create (${foreign.slice(0, 3).join(', ')}); give it a directory of its own.`,
    );
  }
  for (const name of names) await rm(join(dir, name), { recursive: true, force: true });
}

export class EngineStateMachine implements StateMachine<CommandResult> {
  private applied = 0;

  private constructor(
    private readonly db: VectorXLite,
    private readonly dir: string,
    private dedup: DedupTable,
  ) {}

  /** An empty state machine in `dataDir` (appliedIndex 0), discarding any earlier database there. */
  static async open(options: EngineStateMachineOptions): Promise<EngineStateMachine> {
    const dedup = new DedupTable(options.dedupWindow ?? DEFAULT_DEDUP_WINDOW);
    await discardEarlierState(options.dataDir);
    const db = await VectorXLite.open(join(options.dataDir, DATABASE_FILE), options.engine);
    return new EngineStateMachine(db, options.dataDir, dedup);
  }

  /** The directory this state machine owns. */
  get dataDir(): string {
    return this.dir;
  }

  /** The database, for reads (search, collectionExists). Writes go through the log only. */
  get engine(): VectorXLite {
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
    const file = join(this.dir, SNAPSHOT_FILE);
    try {
      await this.db.exportSnapshot(file);
      return encodeStateSnapshot(this.applied, this.dedup.rows(), await readFile(file));
    } finally {
      await rm(file, { force: true });
    }
  }

  async restore(snapshot: Snapshot): Promise<void> {
    const state = decodeStateSnapshot(snapshot.data);
    if (state.appliedIndex !== snapshot.meta.index) {
      throw new RangeError(`snapshot data is at ${state.appliedIndex} but its metadata says ${snapshot.meta.index}`);
    }
    const dedup = DedupTable.fromRows(state.dedupRows, this.dedup.window);
    const file = join(this.dir, SNAPSHOT_FILE);
    try {
      await writeFile(file, state.engineFile);
      await this.db.importSnapshot(file);
    } finally {
      await rm(file, { force: true });
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

  /** A SHA-256 (hex) of the data, equal on replicas that applied the same entries. */
  digest(): Promise<string> {
    return engineDigest(this.db);
  }

  /** The last applied sequence of `clientId` (0 if none remembered). */
  lastSequence(clientId: string): number {
    return this.dedup.lastSequence(clientId);
  }

  /** Clients currently remembered by the dedup table. */
  get dedupSize(): number {
    return this.dedup.size;
  }

  /** Closes the database; idempotent. Its file is discarded at the next open(). */
  close(): Promise<void> {
    return this.db.close();
  }
}
