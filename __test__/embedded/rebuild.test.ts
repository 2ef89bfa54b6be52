import { readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import Database from 'better-sqlite3';
import type { IndexProgress } from '../../src/embedded/types.js';
import { VectorXLite } from '../../src/index.js';
import { openFileDb } from '../helpers/embedded.js';
import { randomVectors } from '../helpers/random.js';

const DIMENSION = 8;
const COUNT = 200;

/** A file database with one collection of COUNT points, recording onProgress calls. */
async function filledDb(t: ExecutionContext, maxElements?: number) {
  const progress: IndexProgress[] = [];
  const { db, file } = await openFileDb(t, { onProgress: (p) => progress.push(p) });
  await db.createCollection({
    name: 'items',
    dimension: DIMENSION,
    maxElements,
    payloadSchema: 'CREATE TABLE items (rowid INTEGER PRIMARY KEY, name TEXT)',
  });
  const vectors = randomVectors(COUNT, DIMENSION, 77);
  return { db, file, progress, vectors };
}

async function insertAll(db: VectorXLite, vectors: Float32Array[]) {
  for (const [i, vector] of vectors.entries()) {
    await db.insert({ collection: 'items', id: i + 1, vector, payloadInsertQuery: `INSERT INTO items (name) VALUES ('item ${i + 1}')` });
  }
}

/** Every point (ids from firstId on, in order) is found by a search for its own vector, with its payload. */
async function assertAllFound(t: ExecutionContext, db: VectorXLite, vectors: Float32Array[], label: string, firstId = 1) {
  const missing: number[] = [];
  for (const [i, vector] of vectors.entries()) {
    const id = firstId + i;
    const [hit] = await db.search({ collection: 'items', vector, topK: 1, payloadSearchQuery: 'SELECT name FROM items' });
    if (hit?.id !== id || hit.payload.name !== `item ${id}`) missing.push(id);
  }
  t.deepEqual(missing, [], `${label}: every vector is found`);
}

test('inserting past maxElements grows the index and reports the rebuild', async (t) => {
  const { db, progress, vectors } = await filledDb(t, 16);
  await insertAll(db, vectors);

  t.is((await db.collectionInfo('items')).count, COUNT);
  t.true((await db.collectionInfo('items')).maxElements >= COUNT);
  await assertAllFound(t, db, vectors, 'after growth');
  const grows = progress.filter((p) => p.reason === 'grow');
  t.true(grows.length > 0, 'onProgress reported growth');
  t.true(grows.every((p) => p.collection === 'items' && p.done <= p.total));
});

test('a grown index is loaded as it is after a clean close and reopen', async (t) => {
  const { db, file, vectors } = await filledDb(t, 16);
  await insertAll(db, vectors);
  const grown = await db.collectionInfo('items');
  await db.close();

  const progress: IndexProgress[] = [];
  const reopened = await VectorXLite.open(file, { onProgress: (p) => progress.push(p) });
  t.teardown(() => reopened.close());
  t.deepEqual(await reopened.collectionInfo('items'), grown);
  await assertAllFound(t, reopened, vectors, 'after growth and reopen');
  await reopened.insert({ collection: 'items', id: COUNT + 1, vector: vectors[0]!.map((x) => -x) });
  t.deepEqual(progress.filter((p) => p.reason === 'open'), [], 'no rebuild on open');
});

test('a batch larger than maxElements grows the index in one go', async (t) => {
  const { db, progress, vectors } = await filledDb(t, 10);
  await db.insertBatch('items', vectors.map((vector, i) => ({ id: i + 1, vector, payloadInsertQuery: `INSERT INTO items (name) VALUES ('item ${i + 1}')` })));
  await assertAllFound(t, db, vectors, 'after a growing batch');
  t.true(progress.some((p) => p.reason === 'grow'));
});

// Another connection on the same file (plain better-sqlite3, no vectorlite) changes the schema
// while the database is open; SQLite then reparses it, which empties vectorlite's index.
const foreignDdl: Array<[string, string[]]> = [
  ['CREATE TABLE from another connection', ['CREATE TABLE side (x)']],
  ['ALTER TABLE ADD COLUMN on another table', ['CREATE TABLE side (x)', 'ALTER TABLE side ADD COLUMN y']],
  ['ALTER TABLE ADD COLUMN on the payload table', ['ALTER TABLE items ADD COLUMN extra TEXT']],
  ['DROP TABLE from another connection', ['CREATE TABLE side (x)', 'DROP TABLE side']],
  ['VACUUM', ['VACUUM']],
];

for (const [what, statements] of foreignDdl) {
  test(`after ${what} every vector is still found`, async (t) => {
    const { db, file, progress, vectors } = await filledDb(t);
    await insertAll(db, vectors);
    await assertAllFound(t, db, vectors, 'before');

    const other = new Database(file);
    try {
      for (const sql of statements) other.exec(sql);
    } finally {
      other.close();
    }
    await assertAllFound(t, db, vectors, `after ${what}`);
    t.true(progress.some((p) => p.reason === 'reparse'), 'onProgress reported the restore');

    // Writes keep working after the restore.
    await db.insert({ collection: 'items', id: COUNT + 1, vector: vectors[0]!.map((x) => -x) });
    t.is((await db.collectionInfo('items')).count, COUNT + 1);
  });
}

test('collections created and deleted on the same database leave the others searchable', async (t) => {
  const { db, vectors } = await filledDb(t);
  await insertAll(db, vectors);
  await db.createCollection({ name: 'other', dimension: 2 });
  await db.insert({ collection: 'other', id: 1, vector: [1, 0] });
  await assertAllFound(t, db, vectors, 'after creating a collection');
  await db.deleteCollection('other');
  await assertAllFound(t, db, vectors, 'after deleting a collection');
});

test('an index emptied by a reparse is restored before a restart too', async (t) => {
  const { db, file, vectors } = await filledDb(t);
  await insertAll(db, vectors);
  const other = new Database(file);
  other.exec('VACUUM');
  other.close();
  // Closing right after the reparse must not persist an emptied index file.
  await db.close();

  const reopened = await VectorXLite.open(file);
  t.teardown(() => reopened.close());
  await assertAllFound(t, reopened, vectors, 'after reparse, close and reopen');
});

/** Files beside the database that are not the database, its journal or its lock file: the index files. */
async function indexFiles(dir: string, dbFile: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const own = new Set([dbFile, `${dbFile}-wal`, `${dbFile}-shm`, `${dbFile}-journal`, `${dbFile}.lock`]);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).filter((path) => !own.has(path));
}

for (const [what, damage] of [
  ['missing', (path: string) => rm(path)],
  ['corrupted', async (path: string) => writeFile(path, Buffer.alloc((await stat(path)).size, 0x5a))],
  ['truncated', (path: string) => writeFile(path, Buffer.alloc(0))],
] as const) {
  test(`a ${what} index file is rebuilt from the durable vectors on open`, async (t) => {
    const { db, file, vectors } = await filledDb(t);
    await insertAll(db, vectors);
    await db.close();
    const files = await indexFiles(dirname(file), file);
    t.true(files.length > 0, 'a clean close writes an index file beside the database');
    for (const path of files) await damage(path);

    const progress: IndexProgress[] = [];
    const reopened = await VectorXLite.open(file, { onProgress: (p) => progress.push(p) });
    t.teardown(() => reopened.close());
    await assertAllFound(t, reopened, vectors, `with a ${what} index file`);
    t.like(progress.filter((p) => p.reason === 'open').at(-1), { collection: 'items', done: COUNT, total: COUNT });
  });
}

test('an index file left from an earlier close is not trusted after later writes', async (t) => {
  const { db, file, vectors } = await filledDb(t);
  await insertAll(db, vectors.slice(0, 100));
  await db.close();
  const saved = new Map<string, Buffer>();
  for (const path of await indexFiles(dirname(file), file)) saved.set(path, await readFile(path));
  t.true(saved.size > 0);

  const second = await VectorXLite.open(file);
  t.teardown(() => second.close());
  for (const [i, vector] of vectors.entries()) {
    if (i < 100) continue;
    await second.insert({ collection: 'items', id: i + 1, vector, payloadInsertQuery: `INSERT INTO items (name) VALUES ('item ${i + 1}')` });
  }
  t.true(await second.delete({ collection: 'items', id: 1 }));
  await second.close();
  // Put the older index files back: they lack points 101..200 and still hold point 1.
  for (const [path, bytes] of saved) await writeFile(path, bytes);

  const progress: IndexProgress[] = [];
  const third = await VectorXLite.open(file, { onProgress: (p) => progress.push(p) });
  t.teardown(() => third.close());
  await assertAllFound(t, third, vectors.slice(1), 'with a stale index file', 2);
  t.false((await third.search({ collection: 'items', vector: vectors[0]!, topK: 5 })).some((h) => h.id === 1), 'the deleted point stays deleted');
  t.true(progress.some((p) => p.reason === 'open'), 'the stale file was rebuilt');
});

test('a long rebuild reports progress along the way, in order, ending at the total', async (t) => {
  const count = 12_000;
  const { db, file } = await openFileDb(t);
  await db.createCollection({ name: 'large', dimension: 4, maxElements: count });
  const vectors = randomVectors(count, 4, 5);
  for (let start = 0; start < count; start += 2_000) {
    await db.insertBatch('large', vectors.slice(start, start + 2_000).map((vector, i) => ({ id: start + i, vector })));
  }
  await db.close();
  for (const path of await indexFiles(dirname(file), file)) await rm(path);

  const progress: IndexProgress[] = [];
  const reopened = await VectorXLite.open(file, { onProgress: (p) => progress.push(p) });
  t.teardown(() => reopened.close());
  await reopened.collectionInfo('large');
  const done = progress.filter((p) => p.collection === 'large' && p.reason === 'open').map((p) => p.done);
  t.true(progress.every((p) => p.total === count));
  t.is(done.at(-1), count);
  t.true(done.some((d) => d > 0 && d < count), `intermediate progress reported: ${done.join(', ')}`);
  t.deepEqual(done, [...done].sort((a, b) => a - b), 'done never goes back');
});
