import test from 'ava';
import { VectorXLite } from '../../src/index.js';
import { openFileDb } from '../helpers/embedded.js';
import { rejectsWithCode } from '../helpers/errors.js';

test('create makes a collection that exists, is listed and described', async (t) => {
  const { db } = await openFileDb(t);
  t.false(await db.collectionExists('docs'));
  await db.createCollection({ name: 'docs', dimension: 8 });

  t.true(await db.collectionExists('docs'));
  const info = await db.collectionInfo('docs');
  t.like(info, { name: 'docs', dimension: 8, distance: 'cosine', count: 0 });
  t.true(Number.isInteger(info.maxElements) && info.maxElements > 0);
  t.deepEqual(await db.listCollections(), [info]);
});

test('options given at creation show in collectionInfo', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'tuned', dimension: 3, distance: 'l2', maxElements: 500, hnsw: { m: 8, efConstruction: 64 } });
  await db.createCollection({ name: 'inner', dimension: 5, distance: 'ip' });
  t.like(await db.collectionInfo('tuned'), { dimension: 3, distance: 'l2', maxElements: 500, count: 0 });
  t.like(await db.collectionInfo('inner'), { dimension: 5, distance: 'ip' });
});

test('listCollections is sorted by name and counts points', async (t) => {
  const { db } = await openFileDb(t);
  for (const name of ['zeta', 'alpha', 'mid_2']) await db.createCollection({ name, dimension: 2 });
  await db.insert({ collection: 'mid_2', id: 1, vector: [1, 0] });
  await db.insert({ collection: 'mid_2', id: 2, vector: [0, 1] });

  const list = await db.listCollections();
  t.deepEqual(list.map((c) => c.name), ['alpha', 'mid_2', 'zeta']);
  t.deepEqual(list.map((c) => c.count), [0, 2, 0]);
});

test('creating an existing collection is ALREADY_EXISTS and keeps its points', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'docs', dimension: 2 });
  await db.insert({ collection: 'docs', id: 1, vector: [1, 2] });

  await rejectsWithCode(t, db.createCollection({ name: 'docs', dimension: 4 }), 'ALREADY_EXISTS');
  t.like(await db.collectionInfo('docs'), { dimension: 2, count: 1 });
  t.truthy(await db.get('docs', 1));
});

test('delete removes the collection, its points and its payload table', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'docs', dimension: 2, payloadSchema: 'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, title TEXT)' });
  await db.createCollection({ name: 'other', dimension: 2 });
  await db.insert({ collection: 'docs', id: 1, vector: [1, 2], payloadInsertQuery: "INSERT INTO docs (title) VALUES ('a')" });

  await db.deleteCollection('docs');
  t.false(await db.collectionExists('docs'));
  t.deepEqual((await db.listCollections()).map((c) => c.name), ['other']);
  await rejectsWithCode(t, db.collectionInfo('docs'), 'NOT_FOUND');
  await rejectsWithCode(t, db.get('docs', 1), 'NOT_FOUND');
  await rejectsWithCode(t, db.search({ collection: 'docs', vector: [1, 2] }), 'NOT_FOUND');
  await rejectsWithCode(t, db.deleteCollection('docs'), 'NOT_FOUND');
});

test('a recreated collection starts empty with its new settings and schema', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'docs', dimension: 2, payloadSchema: 'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, title TEXT)' });
  await db.insert({ collection: 'docs', id: 1, vector: [1, 2], payloadInsertQuery: "INSERT INTO docs (title) VALUES ('old')" });
  await db.deleteCollection('docs');

  await db.createCollection({ name: 'docs', dimension: 3, distance: 'l2', payloadSchema: 'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, body TEXT)' });
  t.like(await db.collectionInfo('docs'), { dimension: 3, distance: 'l2', count: 0 });
  t.is(await db.get('docs', 1), null);
  t.deepEqual(await db.search({ collection: 'docs', vector: [1, 2, 3] }), []);

  await db.insert({ collection: 'docs', id: 1, vector: [1, 2, 3], payloadInsertQuery: "INSERT INTO docs (body) VALUES ('new')" });
  const [hit] = await db.search({ collection: 'docs', vector: [1, 2, 3], payloadSearchQuery: 'SELECT body FROM docs' });
  t.deepEqual(hit, { id: 1, distance: 0, payload: { body: 'new' } });
});

test('collection names are case-insensitive, like SQLite table names, and keep their spelling', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'Docs', dimension: 2 });
  await rejectsWithCode(t, db.createCollection({ name: 'docs', dimension: 2 }), 'ALREADY_EXISTS');
  t.true(await db.collectionExists('DOCS'));
  await db.insert({ collection: 'docs', id: 1, vector: [1, 0] });
  t.deepEqual((await db.search({ collection: 'DoCs', vector: [1, 0] })).map((h) => h.id), [1]);
  t.deepEqual((await db.listCollections()).map((c) => [c.name, c.count]), [['Docs', 1]]);
});

test('an SQL keyword is a usable collection name across reopen', async (t) => {
  const { db, file } = await openFileDb(t);
  await db.createCollection({ name: 'order', dimension: 2, payloadSchema: 'CREATE TABLE "order" (rowid INTEGER PRIMARY KEY, note TEXT)' });
  await db.insert({ collection: 'order', id: 1, vector: [1, 0], payloadInsertQuery: `INSERT INTO "order" (note) VALUES ('first')` });
  await db.insert({ collection: 'order', id: 2, vector: [0, 1] });
  await db.close();

  const reopened = await VectorXLite.open(file);
  t.teardown(() => reopened.close());
  const hits = await reopened.search({ collection: 'order', vector: [1, 0], payloadSearchQuery: `SELECT note FROM "order" WHERE note IS NOT NULL` });
  t.deepEqual(hits, [{ id: 1, distance: 0, payload: { note: 'first' } }]);
  await reopened.deleteCollection('order');
  t.false(await reopened.collectionExists('order'));
});
