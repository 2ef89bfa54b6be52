import test from 'ava';
import { bruteForceTopK } from '../helpers/brute-force.js';
import { openMemoryDb } from '../helpers/embedded.js';
import { randomVectors } from '../helpers/random.js';

test('dimension 1 works with every distance', async (t) => {
  const { db } = await openMemoryDb(t);
  await db.createCollection({ name: 'line', dimension: 1, distance: 'l2' });
  await db.insertBatch('line', [-3, 0.5, 2, 7].map((x, i) => ({ id: i + 1, vector: [x] })));
  const hits = await db.search({ collection: 'line', vector: [1] });
  t.deepEqual(hits.map((h) => [h.id, h.distance]), [[2, 0.25], [3, 1], [1, 16], [4, 36]]);

  await db.createCollection({ name: 'signs', dimension: 1, distance: 'cosine' });
  await db.insertBatch('signs', [{ id: 1, vector: [2] }, { id: 2, vector: [-5] }]);
  t.deepEqual((await db.search({ collection: 'signs', vector: [0.1] })).map((h) => [h.id, h.distance]), [[1, 0], [2, 2]]);
});

test('dimension 4096 stores, returns and finds full vectors', async (t) => {
  const { db } = await openMemoryDb(t);
  await db.createCollection({ name: 'wide', dimension: 4096 });
  const vectors = randomVectors(40, 4096, 8);
  await db.insertBatch('wide', vectors.map((vector, i) => ({ id: i, vector })));
  t.deepEqual(Array.from((await db.get('wide', 17))!.vector), Array.from(vectors[17]!));
  const points = vectors.map((vector, id) => ({ id, vector }));
  for (const id of [0, 17, 39]) {
    const hits = await db.search({ collection: 'wide', vector: vectors[id]!, topK: 5, ef: 40 });
    t.deepEqual(hits.map((h) => h.id), bruteForceTopK('cosine', points, vectors[id]!, 5).map((n) => n.id));
  }
});

test('searching an empty collection returns nothing, also with a filter', async (t) => {
  const { db } = await openMemoryDb(t);
  await db.createCollection({ name: 'empty', dimension: 3, payloadSchema: 'CREATE TABLE empty (rowid INTEGER PRIMARY KEY, name TEXT)' });
  t.deepEqual(await db.search({ collection: 'empty', vector: [1, 2, 3] }), []);
  t.deepEqual(await db.search({ collection: 'empty', vector: [1, 2, 3], payloadSearchQuery: 'SELECT * FROM empty' }), []);
});

test('a collection emptied by deletes searches like an empty one', async (t) => {
  const { db } = await openMemoryDb(t);
  await db.createCollection({ name: 'c', dimension: 2 });
  await db.insert({ collection: 'c', id: 1, vector: [1, 0] });
  await db.delete({ collection: 'c', id: 1 });
  t.deepEqual(await db.search({ collection: 'c', vector: [1, 0] }), []);
});

test('topK larger than the collection returns every point, nearest first', async (t) => {
  const { db } = await openMemoryDb(t);
  await db.createCollection({ name: 'few', dimension: 4, distance: 'l2' });
  const vectors = randomVectors(7, 4, 21);
  const points = vectors.map((vector, id) => ({ id, vector }));
  await db.insertBatch('few', points);
  const query = randomVectors(1, 4, 22)[0]!;
  for (const topK of [7, 8, 1000]) {
    const hits = await db.search({ collection: 'few', vector: query, topK });
    t.deepEqual(hits.map((h) => h.id), bruteForceTopK('l2', points, query, 7).map((n) => n.id), `topK ${topK}`);
  }
});

test('topK defaults to 10', async (t) => {
  const { db } = await openMemoryDb(t);
  await db.createCollection({ name: 'many', dimension: 4 });
  await db.insertBatch('many', randomVectors(30, 4, 23).map((vector, id) => ({ id, vector })));
  t.is((await db.search({ collection: 'many', vector: [1, 1, 1, 1] })).length, 10);
});

test('identical vectors under different ids are all returned', async (t) => {
  const { db } = await openMemoryDb(t);
  await db.createCollection({ name: 'same', dimension: 3 });
  await db.insertBatch('same', [1, 2, 3].map((id) => ({ id, vector: [1, 2, 3] })));
  const hits = await db.search({ collection: 'same', vector: [1, 2, 3] });
  t.deepEqual(hits.map((h) => h.id).sort(), [1, 2, 3]);
  t.true(hits.every((h) => Math.abs(h.distance) < 1e-6));
});

test('a zero vector is accepted under l2', async (t) => {
  const { db } = await openMemoryDb(t);
  await db.createCollection({ name: 'zero', dimension: 3, distance: 'l2' });
  await db.insert({ collection: 'zero', id: 1, vector: [0, 0, 0] });
  t.deepEqual((await db.search({ collection: 'zero', vector: [0, 0, 1] })).map((h) => [h.id, h.distance]), [[1, 1]]);
});

test('an ef smaller than topK still returns topK results', async (t) => {
  const { db } = await openMemoryDb(t);
  await db.createCollection({ name: 'many', dimension: 4 });
  await db.insertBatch('many', randomVectors(50, 4, 24).map((vector, id) => ({ id, vector })));
  t.is((await db.search({ collection: 'many', vector: [1, 1, 1, 1], topK: 20, ef: 1 })).length, 20);
});
