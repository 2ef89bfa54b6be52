import test from 'ava';
import { bruteForceTopK, recall } from '../helpers/brute-force.js';
import { openMemoryDb } from '../helpers/embedded.js';
import { randomVectors } from '../helpers/random.js';

const COUNT = 10_000;
const DIMENSION = 64;
const QUERIES = 100;
const BATCH = 1_000;

test('recall@10 at the default ef is at least 0.95 on 10,000 random 64-dim vectors', async (t) => {
  const { db } = await openMemoryDb(t);
  await db.createCollection({ name: 'random', dimension: DIMENSION, maxElements: COUNT });
  const points = randomVectors(COUNT, DIMENSION, 2024).map((vector, i) => ({ id: i, vector }));
  for (let start = 0; start < COUNT; start += BATCH) await db.insertBatch('random', points.slice(start, start + BATCH));
  t.is((await db.collectionInfo('random')).count, COUNT);

  let total = 0;
  for (const query of randomVectors(QUERIES, DIMENSION, 7)) {
    const hits = await db.search({ collection: 'random', vector: query, topK: 10 });
    t.is(hits.length, 10);
    total += recall(
      hits.map((h) => h.id),
      bruteForceTopK('cosine', points, query, 10).map((n) => n.id),
    );
  }
  const meanRecall = total / QUERIES;
  t.log(`recall@10 at the default ef: ${meanRecall.toFixed(3)}`);
  t.true(meanRecall >= 0.95, `recall@10 ${meanRecall}`);
});

test('a filter matching 10,800 of 12,000 rows returns only matching rows with recall@10 >= 0.9', async (t) => {
  // Big enough (10,800 rows × 128 dimensions) that computing every exact distance is costly,
  // so an engine has to apply the filter inside the HNSW traversal, where recall can suffer.
  const count = 12_000;
  const dimension = 128;
  const { db } = await openMemoryDb(t);
  await db.createCollection({ name: 'bucketed', dimension, maxElements: count, payloadSchema: 'CREATE TABLE bucketed (rowid INTEGER PRIMARY KEY, bucket INTEGER NOT NULL)' });
  const points = randomVectors(count, dimension, 31).map((vector, i) => ({ id: i, vector, bucket: i % 10 }));
  for (let start = 0; start < count; start += BATCH) {
    await db.insertBatch(
      'bucketed',
      points.slice(start, start + BATCH).map((p) => ({ id: p.id, vector: p.vector, payloadInsertQuery: `INSERT INTO bucketed (bucket) VALUES (${p.bucket})` })),
    );
  }

  const matching = points.filter((p) => p.bucket !== 3);
  let total = 0;
  const queries = randomVectors(30, dimension, 32);
  for (const query of queries) {
    const hits = await db.search({ collection: 'bucketed', vector: query, topK: 10, payloadSearchQuery: 'SELECT bucket FROM bucketed WHERE bucket <> 3' });
    t.is(hits.length, 10);
    t.true(hits.every((h) => h.payload.bucket !== 3 && h.payload.bucket === h.id % 10), 'every hit matches the filter');
    total += recall(hits.map((h) => h.id), bruteForceTopK('cosine', matching, query, 10).map((n) => n.id));
  }
  const meanRecall = total / queries.length;
  t.log(`filtered recall@10 at the default ef: ${meanRecall.toFixed(3)}`);
  // The issue sets no recall target for filtered searches; this bound catches candidates lost to the filter.
  t.true(meanRecall >= 0.9, `recall@10 ${meanRecall}`);
});
