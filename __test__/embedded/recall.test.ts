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
