import test from 'ava';
import { VectorXLite } from '../../src/index.js';
import { openFileDb, tablesWithRowid } from '../helpers/embedded.js';
import { rejectsWithCode } from '../helpers/errors.js';

const SCHEMA = 'CREATE TABLE items (rowid INTEGER PRIMARY KEY, name TEXT)';

test('get returns the stored vector as Float32Array with its payload', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'items', dimension: 3, payloadSchema: SCHEMA });
  const vector = new Float32Array([0.1, -2.5, 1e-7]);
  await db.insert({ collection: 'items', id: 1, vector, payloadInsertQuery: "INSERT INTO items (name) VALUES ('one')" });
  await db.insert({ collection: 'items', id: 2, vector: [0.1, 0.2, 0.3] });

  const one = await db.get('items', 1);
  t.is(one!.id, 1);
  t.true(one!.vector instanceof Float32Array);
  t.deepEqual(Array.from(one!.vector), Array.from(vector));
  t.like(one!.payload, { name: 'one' });

  // number[] input is stored as float32, exactly as Float32Array.from would round it.
  t.deepEqual(Array.from((await db.get('items', 2))!.vector), Array.from(Float32Array.from([0.1, 0.2, 0.3])));
  t.is(await db.get('items', 3), null);
});

test('a duplicate id is ALREADY_EXISTS and keeps the first point', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'items', dimension: 2, payloadSchema: SCHEMA });
  await db.insert({ collection: 'items', id: 1, vector: [1, 0], payloadInsertQuery: "INSERT INTO items (name) VALUES ('first')" });
  await rejectsWithCode(t, db.insert({ collection: 'items', id: 1, vector: [0, 1], payloadInsertQuery: "INSERT INTO items (name) VALUES ('second')" }), 'ALREADY_EXISTS');

  const point = await db.get('items', 1);
  t.deepEqual(Array.from(point!.vector), [1, 0]);
  t.like(point!.payload, { name: 'first' });
  t.is((await db.collectionInfo('items')).count, 1);
});

test('delete removes payload row, durable vector and index entry together', async (t) => {
  const { db, file } = await openFileDb(t);
  const id = 777_777;
  await db.createCollection({ name: 'items', dimension: 2, payloadSchema: SCHEMA });
  await db.insert({ collection: 'items', id, vector: [1, 0], payloadInsertQuery: "INSERT INTO items (name) VALUES ('doomed')" });
  await db.insert({ collection: 'items', id: 2, vector: [0.9, 0.1], payloadInsertQuery: "INSERT INTO items (name) VALUES ('kept')" });
  t.true(tablesWithRowid(file, id).length >= 2, 'payload row and durable vector are stored');

  t.true(await db.delete({ collection: 'items', id }));
  t.is(await db.get('items', id), null);
  t.deepEqual((await db.search({ collection: 'items', vector: [1, 0] })).map((h) => h.id), [2]);
  t.is((await db.collectionInfo('items')).count, 1);
  t.deepEqual(tablesWithRowid(file, id), [], 'no table keeps a row for the deleted id');

  t.false(await db.delete({ collection: 'items', id }), 'a second delete finds nothing');
  await rejectsWithCode(t, db.delete({ collection: 'nope', id: 1 }), 'NOT_FOUND');
});

test('a deleted id can be inserted again with a new vector and payload', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'items', dimension: 2, payloadSchema: SCHEMA });
  await db.insert({ collection: 'items', id: 1, vector: [1, 0], payloadInsertQuery: "INSERT INTO items (name) VALUES ('old')" });
  t.true(await db.delete({ collection: 'items', id: 1 }));
  await db.insert({ collection: 'items', id: 1, vector: [0, 1], payloadInsertQuery: "INSERT INTO items (name) VALUES ('new')" });

  const [hit] = await db.search({ collection: 'items', vector: [0, 1], payloadSearchQuery: 'SELECT name FROM items' });
  t.deepEqual(hit, { id: 1, distance: 0, payload: { name: 'new' } });
  t.deepEqual(await db.search({ collection: 'items', vector: [1, 0], topK: 5 }).then((hits) => hits.map((h) => h.id)), [1]);
});

test('id 0 is a valid point', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'items', dimension: 2 });
  await db.insertBatch('items', [
    { id: 0, vector: [1, 0] },
    { id: 1, vector: [0, 1] },
  ]);
  t.deepEqual((await db.search({ collection: 'items', vector: [1, 0.1], topK: 3 })).map((h) => h.id), [0, 1]);
  t.is((await db.get('items', 0))!.id, 0);
});

test('negative ids are valid points, also after a reopen and a delete', async (t) => {
  const { db, file } = await openFileDb(t);
  await db.createCollection({ name: 'items', dimension: 2 });
  await db.insert({ collection: 'items', id: 1, vector: [1, 0] });
  await db.insertBatch('items', [
    { id: -5, vector: [0, 1] },
    { id: Number.MIN_SAFE_INTEGER, vector: [1, 1] },
  ]);
  await db.insert({ collection: 'items', id: -6, vector: [0.1, 1] });
  t.deepEqual((await db.search({ collection: 'items', vector: [0, 1], topK: 4 })).map((h) => h.id), [-5, -6, Number.MIN_SAFE_INTEGER, 1]);
  t.true(await db.delete({ collection: 'items', id: -6 }));
  await db.close();

  const reopened = await VectorXLite.open(file);
  t.teardown(() => reopened.close());
  t.deepEqual((await reopened.search({ collection: 'items', vector: [0, 1], topK: 4 })).map((h) => h.id), [-5, Number.MIN_SAFE_INTEGER, 1]);
  t.is((await reopened.get('items', Number.MIN_SAFE_INTEGER))!.id, Number.MIN_SAFE_INTEGER);
  t.is(await reopened.get('items', -6), null);
});

test('vectors are copied when a call is made: changing the array afterwards changes nothing', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'items', dimension: 2, distance: 'l2' });
  const vector = new Float32Array([1, 0]);
  const inserting = db.insert({ collection: 'items', id: 1, vector });
  vector.set([5, 5]);
  await inserting;
  t.deepEqual(Array.from((await db.get('items', 1))!.vector), [1, 0]);

  const batch = [{ id: 2, vector: new Float32Array([0, 1]) }];
  const batching = db.insertBatch('items', batch);
  batch[0]!.vector.set([7, 7]);
  await batching;
  t.deepEqual(Array.from((await db.get('items', 2))!.vector), [0, 1]);

  const query = new Float32Array([1, 0]);
  const searching = db.search({ collection: 'items', vector: query, topK: 1 });
  query.set([0, 1]);
  t.deepEqual((await searching).map((h) => [h.id, h.distance]), [[1, 0]]);
});

test('a Float32Array view at an offset into a larger buffer is read from its own offset', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'items', dimension: 3, distance: 'l2' });
  const buffer = new Float32Array([9, 9, 1, 2, 3, 9, 9]);
  await db.insert({ collection: 'items', id: 1, vector: buffer.subarray(2, 5) });
  t.deepEqual(Array.from((await db.get('items', 1))!.vector), [1, 2, 3]);
  const [hit] = await db.search({ collection: 'items', vector: new Float32Array([0, 1, 2, 3, 0]).subarray(1, 4) });
  t.deepEqual([hit!.id, hit!.distance], [1, 0]);
});

test('a returned vector is the caller\'s own copy', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'items', dimension: 2 });
  await db.insert({ collection: 'items', id: 1, vector: [1, 2] });
  const first = await db.get('items', 1);
  first!.vector.fill(0);
  t.deepEqual(Array.from((await db.get('items', 1))!.vector), [1, 2]);
});
