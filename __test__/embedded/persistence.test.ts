import { join } from 'node:path';
import test from 'ava';
import { VectorXLite } from '../../src/index.js';
import type { IndexProgress } from '../../src/embedded/types.js';
import { captureState } from '../helpers/embedded.js';
import { randomVectors } from '../helpers/random.js';
import { tempDir } from '../helpers/temp-dir.js';

async function open(t: Parameters<typeof tempDir>[0], file: string, progress: IndexProgress[] = []) {
  const db = await VectorXLite.open(file, { onProgress: (p) => progress.push(p) });
  t.teardown(() => db.close());
  return db;
}

test('a file database keeps collections, points, payloads and deletes across close and reopen', async (t) => {
  const file = join(await tempDir(t), 'kept.db');
  const first = await open(t, file);
  await first.createCollection({ name: 'docs', dimension: 16, distance: 'l2', payloadSchema: 'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, title TEXT)' });
  await first.createCollection({ name: 'empty', dimension: 3, distance: 'ip' });
  const vectors = randomVectors(300, 16, 31);
  await first.insertBatch(
    'docs',
    vectors.map((vector, i) => ({ id: i + 1, vector, payloadInsertQuery: `INSERT INTO docs (title) VALUES ('doc ${i + 1}')` })),
  );
  t.true(await first.delete({ collection: 'docs', id: 10 }));
  const before = await captureState(first, file);
  const searches = await Promise.all(vectors.slice(0, 5).map((vector) => first.search({ collection: 'docs', vector, topK: 10 })));
  await first.close();

  const progress: IndexProgress[] = [];
  const second = await open(t, file, progress);
  // The engine's own bookkeeping tables record the close; what users see must not change.
  const after = await captureState(second, file);
  t.deepEqual(after.collections, before.collections);
  t.deepEqual(after.points, before.points);
  t.deepEqual(after.tables!.docs, before.tables!.docs, 'payload rows');
  t.deepEqual(await Promise.all(vectors.slice(0, 5).map((vector) => second.search({ collection: 'docs', vector, topK: 10 }))), searches);
  t.is(await second.get('docs', 10), null);
  t.like((await second.get('docs', 11))!.payload, { title: 'doc 11' });
  t.deepEqual(
    progress.filter((p) => p.reason === 'open'),
    [],
    'after a clean close the index file is current and is loaded, not rebuilt',
  );
});

test('points inserted after a reopen persist too', async (t) => {
  const file = join(await tempDir(t), 'grow.db');
  const first = await open(t, file);
  await first.createCollection({ name: 'docs', dimension: 2 });
  await first.insert({ collection: 'docs', id: 1, vector: [1, 0] });
  await first.close();

  const second = await open(t, file);
  await second.insert({ collection: 'docs', id: 2, vector: [0, 1] });
  await second.close();

  const third = await open(t, file);
  t.deepEqual((await third.search({ collection: 'docs', vector: [1, 0.1] })).map((h) => h.id), [1, 2]);
});

test('two in-memory databases are independent', async (t) => {
  const a = await open(t, ':memory:');
  const b = await open(t, ':memory:');
  await a.createCollection({ name: 'docs', dimension: 2 });
  t.false(await b.collectionExists('docs'));
  await a.close();
  const c = await open(t, ':memory:');
  t.deepEqual(await c.listCollections(), []);
});

test('a collection recreated under the same name never gets its predecessor\'s index file', async (t) => {
  const file = join(await tempDir(t), 'recreate.db');
  const first = await open(t, file);
  await first.createCollection({ name: 'docs', dimension: 2 });
  await first.insertBatch('docs', [
    { id: 1, vector: [1, 0] },
    { id: 2, vector: [0, 1] },
    { id: 3, vector: [1, 1] },
  ]);
  await first.close();

  const second = await open(t, file);
  await second.deleteCollection('docs');
  await second.createCollection({ name: 'docs', dimension: 2 });
  await second.insert({ collection: 'docs', id: 9, vector: [1, 0.5] });
  t.deepEqual((await second.search({ collection: 'docs', vector: [1, 0], topK: 10 })).map((h) => h.id), [9]);
  await second.close();

  const third = await open(t, file);
  t.deepEqual((await third.search({ collection: 'docs', vector: [1, 0], topK: 10 })).map((h) => h.id), [9]);
  t.is((await third.collectionInfo('docs')).count, 1);
});
