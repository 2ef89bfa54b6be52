/**
 * The durable Raft log: one SQLite database, one row per entry with its checksum. Each
 * append is one transaction, so a batch costs one fsync however many entries it holds (group
 * commit), and a crash leaves either none or all of it.
 */
import type Database from 'better-sqlite3';
import { VectorXLiteError } from '../../src/errors.js';
import type { LogEntry } from '../consensus/types.js';
import { ENTRY_TYPE_CODES, entryChecksum, entryTypeFromCode } from './checksum.js';
import { corruption, guarded } from './errors.js';
import { openDatabase } from './sqlite.js';
import type { LogStore } from './types.js';

const WHAT = 'the Raft log';
const FORMAT_VERSION = 1;

interface EntryRow {
  idx: number;
  term: unknown;
  type: unknown;
  data: unknown;
  checksum: unknown;
}

interface EncodedEntry {
  idx: number;
  term: number;
  type: number;
  data: Buffer;
  checksum: Buffer;
}

/** The log's SQL, prepared once per connection. */
function prepareStatements(db: Database.Database) {
  const deleteFrom = db.prepare('DELETE FROM entries WHERE idx >= ?');
  const insert = db.prepare('INSERT INTO entries (idx, term, type, data, checksum) VALUES (@idx, @term, @type, @data, @checksum)');
  const deleteUpTo = db.prepare('DELETE FROM entries WHERE idx <= ?');
  const deleteAll = db.prepare('DELETE FROM entries');
  const setStart = db.prepare('UPDATE log_start SET compacted = ? WHERE id = 1');
  return {
    range: db.prepare('SELECT idx, term, type, data, checksum FROM entries WHERE idx BETWEEN ? AND ? ORDER BY idx'),
    append: db.transaction((first: number, rows: EncodedEntry[]) => {
      deleteFrom.run(first);
      for (const row of rows) insert.run(row);
    }),
    compact: db.transaction((index: number) => {
      deleteUpTo.run(index);
      setStart.run(index);
    }),
    reset: db.transaction((index: number) => {
      deleteAll.run();
      setStart.run(index);
    }),
  };
}

export class DurableLogStore implements LogStore {
  private closed = false;
  private readonly sql: ReturnType<typeof prepareStatements>;

  private constructor(
    private readonly db: Database.Database,
    private readonly file: string,
    /** Entries with index <= compacted are discarded; firstIndex() is compacted + 1. */
    private compacted: number,
    private last: number,
  ) {
    this.sql = prepareStatements(db);
  }

  /**
   * Opens the log in `file` (created if missing) and checks every entry: a tail of entries
   * that fail their checksum (never acknowledged, since an append returns only once its
   * transaction is fsynced) is deleted; a bad entry followed by a good one, a missing entry or
   * an entry inside the compacted prefix is corruption (IO_ERROR).
   */
  static open(file: string): DurableLogStore {
    const db = openDatabase(file, WHAT);
    try {
      return guarded(WHAT, file, 'open', () => {
        prepareSchema(db, file);
        const compacted = (db.prepare('SELECT compacted FROM log_start WHERE id = 1').get() as { compacted: number }).compacted;
        const last = recoverTail(db, file, compacted);
        return new DurableLogStore(db, file, compacted, last);
      });
    } catch (error) {
      db.close();
      throw error;
    }
  }

  firstIndex(): number {
    this.ensureOpen();
    return this.compacted + 1;
  }

  lastIndex(): number {
    this.ensureOpen();
    return this.last;
  }

  entries(from: number, to: number): LogEntry[] {
    this.ensureOpen();
    if (from > to) return [];
    if (from <= this.compacted || to > this.last) {
      throw new RangeError(`entries [${from}, ${to}] are outside the stored log [${this.compacted + 1}, ${this.last}]`);
    }
    const rows = guarded(WHAT, this.file, 'read', () => this.sql.range.all(from, to) as EntryRow[]);
    const result: LogEntry[] = [];
    for (let index = from; index <= to; index++) {
      const row = rows[index - from];
      if (row?.idx !== index) throw corruption(WHAT, this.file, `entry ${index} is missing`);
      const entry = decodeRow(row);
      if (entry === undefined) throw corruption(WHAT, this.file, `entry ${index} fails its checksum`);
      result.push(entry);
    }
    return result;
  }

  append(entries: LogEntry[]): void {
    this.ensureOpen();
    if (entries.length === 0) return;
    const first = entries[0].index;
    if (first > this.last + 1) throw new RangeError(`append at ${first} would leave a gap after ${this.last}`);
    if (first <= this.compacted) throw new RangeError(`append at ${first} rewrites compacted entries (log starts at ${this.compacted + 1})`);
    const rows = entries.map((entry, i) => {
      if (entry.index !== first + i) throw new RangeError('appended entries must be contiguous');
      return encodeEntry(entry);
    });
    guarded(WHAT, this.file, 'append', () => this.sql.append(first, rows));
    this.last = first + entries.length - 1;
  }

  /** Durable on return here too: one fsync per snapshot is cheap, and a restart then starts where the node left off. */
  compact(index: number): void {
    this.ensureOpen();
    checkIndex(index, 'compact');
    if (index <= this.compacted) return;
    guarded(WHAT, this.file, 'compact', () => this.sql.compact(index));
    this.compacted = index;
    this.last = Math.max(this.last, index);
  }

  reset(index: number): void {
    this.ensureOpen();
    checkIndex(index, 'reset');
    guarded(WHAT, this.file, 'reset', () => this.sql.reset(index));
    this.compacted = index;
    this.last = index;
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

function checkIndex(index: number, action: string): void {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`${action} index ${index} is not a non-negative integer`);
}

function prepareSchema(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > FORMAT_VERSION) {
    throw new VectorXLiteError('FAILED_PRECONDITION', `${WHAT} at ${file} has format ${version}, newer than this version reads (${FORMAT_VERSION}); upgrade VectorXLite`);
  }
  if (version === FORMAT_VERSION) return;
  db.transaction(() => {
    db.exec(`
      CREATE TABLE entries (
        idx INTEGER PRIMARY KEY,
        term INTEGER NOT NULL,
        type INTEGER NOT NULL,
        data BLOB NOT NULL,
        checksum BLOB NOT NULL
      );
      CREATE TABLE log_start (id INTEGER PRIMARY KEY CHECK (id = 1), compacted INTEGER NOT NULL);
      INSERT INTO log_start (id, compacted) VALUES (1, 0);
    `);
    db.pragma(`user_version = ${FORMAT_VERSION}`);
  })();
}

/** Scans every entry; deletes a bad tail and returns the last index kept. */
function recoverTail(db: Database.Database, file: string, compacted: number): number {
  let expected = compacted + 1;
  let firstBad: number | null = null;
  for (const row of db.prepare('SELECT idx, term, type, data, checksum FROM entries ORDER BY idx').iterate() as IterableIterator<EntryRow>) {
    if (row.idx <= compacted) throw corruption(WHAT, file, `entry ${row.idx} lies in the compacted prefix (the log starts at ${compacted + 1})`);
    if (row.idx !== expected) throw corruption(WHAT, file, `entry ${expected} is missing before entry ${row.idx}`);
    expected++;
    if (decodeRow(row) === undefined) firstBad ??= row.idx;
    else if (firstBad !== null) throw corruption(WHAT, file, `entry ${firstBad} fails its checksum but entry ${row.idx} after it is intact`);
  }
  if (firstBad === null) return expected - 1;
  db.prepare('DELETE FROM entries WHERE idx >= ?').run(firstBad);
  return firstBad - 1;
}

function encodeEntry(entry: LogEntry): EncodedEntry {
  const type = ENTRY_TYPE_CODES[entry.type];
  if (type === undefined) throw new RangeError(`entry ${entry.index} has unknown type ${String(entry.type)}`);
  if (!Number.isSafeInteger(entry.term) || entry.term < 0) throw new RangeError(`entry ${entry.index} has term ${entry.term}, not a non-negative integer`);
  if (!Number.isSafeInteger(entry.index) || entry.index < 1) throw new RangeError(`entry index ${entry.index} is not a positive integer`);
  // A view, not a copy: SQLite copies the bytes when it binds them.
  const data = Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength);
  return { idx: entry.index, term: entry.term, type, data, checksum: entryChecksum(entry.index, entry.term, type, data) };
}

/** The entry a row holds, or undefined if the row is damaged (wrong column types or a checksum mismatch). */
function decodeRow(row: EntryRow): LogEntry | undefined {
  const { idx, term, type, data, checksum } = row;
  if (typeof term !== 'number' || !Number.isSafeInteger(term) || term < 0) return undefined;
  if (typeof type !== 'number') return undefined;
  const entryType = entryTypeFromCode(type);
  if (entryType === undefined || !Buffer.isBuffer(data) || !Buffer.isBuffer(checksum)) return undefined;
  if (!entryChecksum(idx, term, type, data).equals(checksum)) return undefined;
  return { index: idx, term, type: entryType, data: new Uint8Array(data) };
}
