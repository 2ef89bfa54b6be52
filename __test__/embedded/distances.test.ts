import test from 'ava';
import type { Distance } from '../../src/embedded/types.js';
import { bruteForceTopK, distance } from '../helpers/brute-force.js';
import { openMemoryDb } from '../helpers/embedded.js';
import { randomVectors } from '../helpers/random.js';

const DIMENSION = 16;
const COUNT = 300;

/** float32 storage against double-precision reference: equal within float rounding. */
function closeTo(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= 1e-4 * Math.max(1, Math.abs(expected));
}

for (const kind of ['cosine', 'l2', 'ip'] as Distance[]) {
  test(`${kind}: search returns the exact nearest points with vectorlite's distances`, async (t) => {
    const { db } = await openMemoryDb(t);
    await db.createCollection({ name: 'points', dimension: DIMENSION, distance: kind });
    // Components in [-1, 1): signs matter for inner product and cosine.
    const points = randomVectors(COUNT, DIMENSION, 11).map((v, i) => ({ id: i + 1, vector: v.map((x) => 2 * x - 1) }));
    await db.insertBatch('points', points);

    for (const query of randomVectors(5, DIMENSION, 12).map((v) => v.map((x) => 2 * x - 1))) {
      // ef >= collection size makes HNSW exhaustive, so the result must be exact.
      const hits = await db.search({ collection: 'points', vector: query, topK: 10, ef: COUNT });
      const truth = bruteForceTopK(kind, points, query, 10);
      t.deepEqual(hits.map((h) => h.id), truth.map((n) => n.id));
      for (const [i, hit] of hits.entries()) {
        t.true(closeTo(hit.distance, truth[i]!.distance), `${kind} distance ${hit.distance} vs ${truth[i]!.distance}`);
      }
    }
  });
}

test('distances match the formulas on hand-computed vectors', async (t) => {
  const { db } = await openMemoryDb(t);
  const query = [0.3, 0.2, 0.1];
  const stored = [1, 2, 3];
  const expected: Record<Distance, number> = { cosine: 1 - 1 / Math.sqrt(14 * 0.14), l2: 0.49 + 3.24 + 8.41, ip: 0 };
  for (const kind of ['cosine', 'l2', 'ip'] as Distance[]) {
    await db.createCollection({ name: kind, dimension: 3, distance: kind });
    await db.insert({ collection: kind, id: 7, vector: stored });
    const [hit] = await db.search({ collection: kind, vector: query });
    t.is(hit!.id, 7);
    t.true(closeTo(hit!.distance, expected[kind]), `${kind}: ${hit!.distance} vs ${expected[kind]}`);
    t.true(closeTo(expected[kind], distance(kind, stored, query)), 'the reference formula agrees');
  }
});
