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
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { VectorXLiteError } from '../../src/errors.js';
import { VectorXLite } from '../../src/embedded/database.js';
import type { OpenOptions } from '../../src/embedded/types.js';
import { CommandStateMachine } from './command-state-machine.js';
import { DEFAULT_DEDUP_WINDOW, DedupTable } from './dedup.js';

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

export class EngineStateMachine extends CommandStateMachine<VectorXLite> {
  private constructor(
    db: VectorXLite,
    private readonly dir: string,
    dedup: DedupTable,
  ) {
    super(db, join(dir, SNAPSHOT_FILE), dedup);
  }

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

  protected exportSnapshot(file: string): Promise<unknown> {
    return this.db.exportSnapshot(file);
  }

  protected importSnapshot(file: string): Promise<unknown> {
    return this.db.importSnapshot(file);
  }

  /** Closes the database; idempotent. Its file is discarded at the next open(). */
  close(): Promise<void> {
    return this.db.close();
  }
}
