import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ExecutionContext } from 'ava';
import { VectorXLite } from '../../src/index.js';
import type { CollectionInfo, OpenOptions, SearchResult } from '../../src/embedded/types.js';
import { tempDir } from './temp-dir.js';

export interface OpenedDb {
  db: VectorXLite;
  /** The database file, or ':memory:'. */
  file: string;
}

/** Opens a database in a fresh temp dir; closed at teardown. */
export async function openFileDb(t: ExecutionContext, options?: OpenOptions, fileName = 'test.db'): Promise<OpenedDb> {
  const file = join(await tempDir(t), fileName);
  const db = await VectorXLite.open(file, options);
  t.teardown(() => db.close());
  return { db, file };
}

/** Opens an in-memory database; closed at teardown. */
export async function openMemoryDb(t: ExecutionContext, options?: OpenOptions): Promise<OpenedDb> {
  const db = await VectorXLite.open(':memory:', options);
  t.teardown(() => db.close());
  return { db, file: ':memory:' };
}

export type TableDump = Record<string, unknown[]>;

/**
 * Every row of every ordinary table of a database file, read through a separate plain SQLite
 * connection (no vectorlite). It sees payload rows and durable vectors whatever the engine
 * names its tables, and a read does not change the schema, so it does not disturb the engine.
 */
export function dumpTables(file: string): TableDump {
  const reader = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = reader
      .prepare(
        `SELECT name FROM sqlite_master
         WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'
         ORDER BY name`,
      )
      .pluck()
      .all() as string[];
    const dump: TableDump = {};
    for (const table of tables) {
      dump[table] = reader.prepare(`SELECT rowid AS "__rowid", * FROM "${table}" ORDER BY rowid`).all();
    }
    return dump;
  } finally {
    reader.close();
  }
}

/** Names of the ordinary tables holding a row whose rowid is `rowid`. */
export function tablesWithRowid(file: string, rowid: number): string[] {
  return Object.entries(dumpTables(file))
    .filter(([, rows]) => rows.some((row) => (row as { __rowid: number }).__rowid === rowid))
    .map(([name]) => name);
}

export interface DbState {
  collections: CollectionInfo[];
  /** Per collection: every point as found by an exhaustive search, nearest to an all-ones query first. */
  points: Record<string, SearchResult[]>;
  tables?: TableDump;
}

/**
 * What a user can observe of a database: its collections, every indexed point with its
 * payload, and (for a file) every stored row. Two equal states mean nothing changed.
 */
export async function captureState(db: VectorXLite, file: string): Promise<DbState> {
  const collections = await db.listCollections();
  const points: Record<string, SearchResult[]> = {};
  for (const info of collections) {
    points[info.name] =
      info.count === 0
        ? []
        : await db.search({
            collection: info.name,
            vector: new Float32Array(info.dimension).fill(1),
            topK: info.count,
            ef: Math.max(info.count, 10),
          });
  }
  return file === ':memory:' ? { collections, points } : { collections, points, tables: dumpTables(file) };
}

/** Distances equal up to float32 rounding: an index rebuilt from the same vectors may differ in the last bits. */
const DISTANCE_TOLERANCE = 1e-5;

/**
 * Asserts that `after` shows the same database as `before`: the same collections, stored rows
 * and points with the same payloads in the same order; distances within float32 rounding.
 */
export function assertSameState(t: ExecutionContext, after: DbState, before: DbState, label = 'the database is unchanged'): void {
  const withoutDistances = (state: DbState) => ({
    ...state,
    points: Object.fromEntries(Object.entries(state.points).map(([name, hits]) => [name, hits.map(({ id, payload }) => ({ id, payload }))])),
  });
  t.deepEqual(withoutDistances(after), withoutDistances(before), label);
  const drifted = Object.entries(after.points).flatMap(([name, hits]) =>
    hits.filter((hit, i) => Math.abs(hit.distance - (before.points[name]?.[i]?.distance ?? Number.NaN)) > DISTANCE_TOLERANCE).map((hit) => `${name}/${hit.id}`),
  );
  t.deepEqual(drifted, [], `${label}: distances`);
}
