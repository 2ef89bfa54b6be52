/**
 * The durable hard state (term, vote, commit): one checksummed row in its own SQLite database,
 * replaced by one fsynced transaction per save.
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
    return state;
  }

  save(state: HardState): void {
    this.ensureOpen();
    guarded(WHAT, this.file, 'save', () => this.replace.run(state.term, state.vote, state.commit, hardStateChecksum(state)));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    guarded(WHAT, this.file, 'close', () => this.db.close());
  }

  private ensureOpen(): void {
    if (this.closed) throw new VectorXLiteError('CLOSED', `${WHAT} at ${this.file} is closed`);
  }
}
