/**
 * The durable hard state (term, vote, commit): one checksummed row in its own SQLite database,
 * replaced by one transaction per save. A save that changes the term or the vote is fsynced
 * before it returns; one that only moves the commit index is not (synchronous=NORMAL), since
 * the commit index is a hint a restarted node relearns from its leader. That keeps an fsync
 * off every commit on the leader and every commit notice on the followers.
 */
import type Database from 'better-sqlite3';
import { VectorXLiteError } from '../../src/errors.js';
import type { HardState } from '../consensus/types.js';
import { hardStateChecksum } from './checksum.js';
import { corruption, guarded } from './errors.js';
import { openDatabase } from './sqlite.js';
import type { HardStateStore } from './types.js';

const WHAT = 'the Raft hard state';

interface HardStateRow {
  term: unknown;
  vote: unknown;
  commit_index: unknown;
  checksum: unknown;
}

export class DurableHardStateStore implements HardStateStore {
  private closed = false;
  private readonly select: Database.Statement;
  private readonly replace: Database.Statement;
  /** Term and vote of the last save, fsynced; null before the first save or load. */
  private durable: Pick<HardState, 'term' | 'vote'> | null = null;
  /** The connection's current `synchronous` setting. */
  private synchronous: 'FULL' | 'NORMAL' = 'FULL';

  private constructor(
    private readonly db: Database.Database,
    private readonly file: string,
  ) {
    this.select = db.prepare('SELECT term, vote, commit_index, checksum FROM hard_state WHERE id = 1');
    this.replace = db.prepare('INSERT OR REPLACE INTO hard_state (id, term, vote, commit_index, checksum) VALUES (1, ?, ?, ?, ?)');
  }

  static open(file: string): DurableHardStateStore {
    const db = openDatabase(file, WHAT);
    try {
      guarded(WHAT, file, 'open', () =>
        db.exec(`CREATE TABLE IF NOT EXISTS hard_state (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          term INTEGER NOT NULL,
          vote TEXT,
          commit_index INTEGER NOT NULL,
          checksum BLOB NOT NULL
        )`),
      );
    } catch (error) {
      db.close();
      throw error;
    }
    return new DurableHardStateStore(db, file);
  }

  load(): HardState | null {
    this.ensureOpen();
    const row = guarded(WHAT, this.file, 'load', () => this.select.get() as HardStateRow | undefined);
    if (row === undefined) return null;
    const { term, vote, commit_index: commit, checksum } = row;
    if (typeof term !== 'number' || typeof commit !== 'number' || (vote !== null && typeof vote !== 'string') || !Buffer.isBuffer(checksum)) {
      throw corruption(WHAT, this.file, 'the saved row has the wrong column types');
    }
    const state: HardState = { term, vote, commit };
    if (!hardStateChecksum(state).equals(checksum)) throw corruption(WHAT, this.file, 'the saved row fails its checksum');
    // Term and vote only ever reach the file in fsynced saves, so what is read back is durable.
    this.durable = { term, vote };
    return state;
  }

  /**
   * Term and vote are durable on return. A save that changes neither (only the commit index)
   * may be lost by a power failure, never by a crash of this process, and never leaves a
   * mix: the WAL frames of the next fsynced save cover it, and SQLite still fsyncs around
   * checkpoints at NORMAL, so an older term or vote cannot come back.
   */
  save(state: HardState): void {
    this.ensureOpen();
    const commitOnly = this.durable !== null && this.durable.term === state.term && this.durable.vote === state.vote;
    guarded(WHAT, this.file, 'save', () => {
      this.setSynchronous(commitOnly ? 'NORMAL' : 'FULL');
      this.replace.run(state.term, state.vote, state.commit, hardStateChecksum(state));
    });
    this.durable = { term: state.term, vote: state.vote };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    guarded(WHAT, this.file, 'close', () => this.db.close());
  }

  private setSynchronous(mode: 'FULL' | 'NORMAL'): void {
    if (this.synchronous === mode) return;
    this.db.pragma(`synchronous = ${mode}`);
    this.synchronous = mode;
  }

  private ensureOpen(): void {
    if (this.closed) throw new VectorXLiteError('CLOSED', `${WHAT} at ${this.file} is closed`);
  }
}
