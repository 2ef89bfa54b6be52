/** The SQLite settings every durable Raft store opens its database with. */
import Database from 'better-sqlite3';
import { VectorXLiteError } from '../../src/errors.js';
import { ioError } from './errors.js';

/**
 * Opens (creating if missing) a database whose committed transactions are fsynced:
 * - `journal_mode=WAL` + `synchronous=FULL`: COMMIT appends the transaction to the WAL and
 *   fsyncs it before returning, one fsync per transaction; a transaction torn by a crash fails
 *   the WAL frame checksums and is discarded on the next open.
 * - `locking_mode=EXCLUSIVE`: the first process to open a node's store keeps it; a second Raft
 *   process on the same directory would interleave two logs and must be refused.
 */
export function openDatabase(file: string, what: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    db.pragma('locking_mode = EXCLUSIVE');
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`SQLite kept journal mode ${String(mode)} instead of WAL`);
    db.pragma('synchronous = FULL');
    // Takes the exclusive lock now, so a second opener fails at open rather than at its first write.
    db.exec('BEGIN IMMEDIATE; COMMIT');
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof Database.SqliteError && error.code.startsWith('SQLITE_BUSY')) {
      throw new VectorXLiteError('FAILED_PRECONDITION', `${what} at ${file} is already open by another Raft node; stop it before starting this one`, { cause: error });
    }
    throw ioError(what, file, 'open', error);
  }
}
