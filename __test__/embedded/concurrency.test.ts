import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { VectorXLite } from '../../src/index.js';
import { openFileDb, openMemoryDb } from '../helpers/embedded.js';
import { randomVectors } from '../helpers/random.js';
import { tempDir } from '../helpers/temp-dir.js';

const DIMENSION = 12;
const BASE = 200;
const PARALLEL_INSERTS = 300;
const PARALLEL_SEARCHES = 300;

test('hundreds of parallel inserts, searches and gets all give correct results', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'items', dimension: DIMENSION, payloadSchema: 'CREATE TABLE items (rowid INTEGER PRIMARY KEY, name TEXT)' });
  const vectors = randomVectors(BASE + PARALLEL_INSERTS, DIMENSION, 123);
  const payload = (id: number) => `INSERT INTO items (name) VALUES ('item ${id}')`;
  await db.insertBatch('items', vectors.slice(0, BASE).map((vector, i) => ({ id: i + 1, vector, payloadInsertQuery: payload(i + 1) })));

  const inserts = vectors.slice(BASE).map((vector, i) => db.insert({ collection: 'items', id: BASE + i + 1, vector, payloadInsertQuery: payload(BASE + i + 1) }));
  // Searches restricted to the base points: their answer must not depend on how the inserts interleave.
  const searches = Array.from({ length: PARALLEL_SEARCHES }, (_, i) => {
    const id = (i % BASE) + 1;
    return db
      .search({ collection: 'items', vector: vectors[id - 1]!, topK: 1, payloadSearchQuery: `SELECT name FROM items WHERE rowid <= ${BASE}` })
      .then((hits) => ({ id, hits }));
  });
  const gets = Array.from({ length: BASE }, (_, i) => db.get('items', i + 1));

  t.deepEqual(await Promise.all(inserts), Array.from({ length: PARALLEL_INSERTS }, () => undefined));
  for (const { id, hits } of await Promise.all(searches)) {
    t.deepEqual(hits.map((h) => [h.id, h.payload]), [[id, { name: `item ${id}` }]]);
  }
  for (const [i, point] of (await Promise.all(gets)).entries()) t.is(point!.id, i + 1);

  t.is((await db.collectionInfo('items')).count, BASE + PARALLEL_INSERTS);
  const found = await Promise.all(vectors.map((vector) => db.search({ collection: 'items', vector, topK: 1 })));
  t.deepEqual(found.map((hits) => hits[0]!.id), vectors.map((_, i) => i + 1));
});

test('parallel calls on different collections, with deletes and failing calls mixed in, stay correct', async (t) => {
  const { db } = await openFileDb(t);
  const names = ['a', 'b', 'c'];
  await Promise.all(names.map((name) => db.createCollection({ name, dimension: 4 })));
  const vectors = randomVectors(100, 4, 9);

  const work: Promise<unknown>[] = [];
  for (const name of names) {
    for (const [i, vector] of vectors.entries()) work.push(db.insert({ collection: name, id: i, vector }));
  }
  // Failing calls in the same wave must fail alone without disturbing the others.
  const failing = [
    t.throwsAsync(db.insert({ collection: 'a', id: 1000, vector: [1, 1, 1] }), { code: 'DIMENSION_MISMATCH' }),
    t.throwsAsync(db.search({ collection: 'missing', vector: [1, 1, 1, 1] }), { code: 'NOT_FOUND' }),
    t.throwsAsync(db.insert({ collection: 'b', id: 1001, vector: [1, 1, 1, 1], payloadInsertQuery: 'INSERT INTO nowhere VALUES (1)' })),
  ];
  await Promise.all([...work, ...failing]);

  const deletes = Array.from({ length: 50 }, (_, i) => db.delete({ collection: 'b', id: i * 2 }));
  const searches = vectors.map((vector, i) => db.search({ collection: 'c', vector, topK: 1 }).then((hits) => [hits[0]!.id, i]));
  t.true((await Promise.all(deletes)).every(Boolean));
  for (const [found, expected] of await Promise.all(searches)) t.is(found, expected);

  const counts = await Promise.all(names.map(async (name) => (await db.collectionInfo(name)).count));
  t.deepEqual(counts, [100, 50, 100]);
  const hits = await db.search({ collection: 'b', vector: vectors[0]!, topK: 100 });
  t.true(hits.every((h) => h.id % 2 === 1), 'deleted points are gone from the index');
  t.is(hits.length, 50);
});

test('a snapshot exported during parallel inserts holds whole points, including every insert resolved before it', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'items', dimension: DIMENSION, payloadSchema: 'CREATE TABLE items (rowid INTEGER PRIMARY KEY, name TEXT)' });
  const vectors = randomVectors(400, DIMENSION, 55);
  const insertOne = (i: number) => db.insert({ collection: 'items', id: i + 1, vector: vectors[i]!, payloadInsertQuery: `INSERT INTO items (name) VALUES ('item ${i + 1}')` });
  await Promise.all(vectors.slice(0, 200).map((_, i) => insertOne(i)));

  const path = join(await tempDir(t), 'during.snapshot');
  const later = vectors.slice(200).map((_, i) => insertOne(200 + i));
  const exported = db.exportSnapshot(path);
  await Promise.all([...later, exported]);

  const { db: copy } = await openMemoryDb(t);
  await copy.importSnapshot(path);
  const { count } = await copy.collectionInfo('items');
  t.true(count >= 200 && count <= 400, `${count} points in the snapshot`);
  for (const [i, vector] of vectors.entries()) {
    const point = await copy.get('items', i + 1);
    if (i < 200) t.truthy(point, `point ${i + 1} resolved before the export`);
    if (point === null) continue;
    t.deepEqual(Array.from(point.vector), Array.from(vector));
    t.like(point.payload, { name: `item ${i + 1}` });
  }
});

test('searches running while a snapshot is imported see the old data or the new, never a mix', async (t) => {
  const { db: source } = await openMemoryDb(t);
  await source.createCollection({ name: 'items', dimension: DIMENSION });
  const vectors = randomVectors(100, DIMENSION, 66);
  await source.insertBatch('items', vectors.map((vector, i) => ({ id: 1000 + i, vector })));
  const path = join(await tempDir(t), 'new.snapshot');
  await source.exportSnapshot(path);

  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'items', dimension: DIMENSION });
  await db.insertBatch('items', vectors.map((vector, i) => ({ id: i, vector })));

  const searches = vectors.map((vector) => db.search({ collection: 'items', vector, topK: 5 }));
  const imported = db.importSnapshot(path);
  const more = vectors.map((vector) => db.search({ collection: 'items', vector, topK: 5 }));
  await imported;
  for (const hits of await Promise.all([...searches, ...more])) {
    const old = hits.every((h) => h.id < 1000);
    const fresh = hits.every((h) => h.id >= 1000);
    t.true(hits.length === 5 && (old || fresh), `hits ${hits.map((h) => h.id).join(',')}`);
  }
  t.true((await db.search({ collection: 'items', vector: vectors[0]!, topK: 5 })).every((h) => h.id >= 1000));
});

/** Runs `work` while counting event-loop turns; the count shows whether the loop was free meanwhile. */
async function loopTurnsDuring(work: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let running = true;
  const spin = () => {
    if (!running) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  try {
    await work();
  } finally {
    running = false;
  }
  return turns;
}

test('the event loop keeps turning while the engine inserts, searches, snapshots and rebuilds', async (t) => {
  const { db, file } = await openFileDb(t);
  await db.createCollection({ name: 'items', dimension: 64, maxElements: 1000 });
  const vectors = randomVectors(5000, 64, 77);
  t.true((await loopTurnsDuring(() => db.insertBatch('items', vectors.map((vector, id) => ({ id, vector }))))) > 0, 'insertBatch with growth');
  t.true((await loopTurnsDuring(() => db.search({ collection: 'items', vector: vectors[0]!, topK: 100, ef: 5000 }))) > 0, 'search');
  const snapshot = join(await tempDir(t), 'loop.snapshot');
  t.true((await loopTurnsDuring(() => db.exportSnapshot(snapshot))) > 0, 'exportSnapshot');
  t.true((await loopTurnsDuring(() => db.importSnapshot(snapshot))) > 0, 'importSnapshot');
  await db.close();
  t.true((await loopTurnsDuring(() => VectorXLite.open(file).then((again) => again.close()))) > 0, 'open and close');
});

test('a database with hundreds of queued calls does not hold up another database or file I/O', async (t) => {
  const { db: busy } = await openMemoryDb(t);
  const { db: idle } = await openMemoryDb(t);
  const vectors = randomVectors(3000, 64, 88);
  for (const db of [busy, idle]) {
    await db.createCollection({ name: 'c', dimension: 64 });
    await db.insertBatch('c', vectors.map((vector, id) => ({ id, vector })));
  }
  let busyDone = 0;
  const queued = Array.from({ length: 400 }, () => busy.search({ collection: 'c', vector: vectors[1]!, topK: 10, ef: 500 }).then(() => busyDone++));
  // Where the other calls finish among the 400 says whether they waited behind the queue.
  const idleFinished = idle.search({ collection: 'c', vector: vectors[1]!, topK: 10 }).then(() => busyDone);
  const fileFinished = readFile(fileURLToPath(import.meta.url)).then(() => busyDone);
  const [idleAt, fileAt] = await Promise.all([idleFinished, fileFinished, ...queued]);
  t.true(idleAt < 200, `the idle database answered after ${idleAt} of 400 queued searches`);
  t.true(fileAt < 200, `file I/O finished after ${fileAt} of 400 queued searches`);
});

test('calls take effect in call order: searches queued before a deleteCollection succeed, later ones are NOT_FOUND', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'items', dimension: 4 });
  const vectors = randomVectors(50, 4, 99);
  await db.insertBatch('items', vectors.map((vector, id) => ({ id, vector })));

  const before = vectors.map((vector) => db.search({ collection: 'items', vector, topK: 1 }));
  const deleting = db.deleteCollection('items');
  const after = vectors.slice(0, 5).map((vector) => db.search({ collection: 'items', vector, topK: 1 }));
  const recreating = db.createCollection({ name: 'items', dimension: 2 });
  const afterRecreate = db.search({ collection: 'items', vector: [1, 0] });

  t.deepEqual((await Promise.all(before)).map((hits) => hits[0]!.id), vectors.map((_, id) => id));
  await deleting;
  for (const search of after) await t.throwsAsync(search, { code: 'NOT_FOUND' });
  await recreating;
  t.deepEqual(await afterRecreate, []);
});
