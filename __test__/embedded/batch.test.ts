import test, { type ExecutionContext } from 'ava';
import type { BatchPoint } from '../../src/embedded/types.js';
import type { ErrorCode } from '../../src/errors.js';
import { captureState, openFileDb } from '../helpers/embedded.js';
import { rejectsWithCode } from '../helpers/errors.js';
import { randomVectors } from '../helpers/random.js';

const DIMENSION = 4;

function goodPoints(firstId: number, count: number, seed: number): BatchPoint[] {
  return randomVectors(count, DIMENSION, seed).map((vector, i) => ({
    id: firstId + i,
    vector,
    payloadInsertQuery: `INSERT INTO items (name, n) VALUES ('item ${firstId + i}', ${i})`,
  }));
}

async function itemsDb(t: ExecutionContext) {
  const opened = await openFileDb(t);
  await opened.db.createCollection({
    name: 'items',
    dimension: DIMENSION,
    payloadSchema: 'CREATE TABLE items (rowid INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER)',
  });
  await opened.db.insertBatch('items', goodPoints(1, 20, 1));
  return opened;
}

test('insertBatch stores every point with its payload', async (t) => {
  const { db } = await itemsDb(t);
  const batch = goodPoints(100, 200, 2);
  await db.insertBatch('items', batch);
  t.is((await db.collectionInfo('items')).count, 220);
  for (const point of [batch[0]!, batch[99]!, batch[199]!]) {
    const stored = await db.get('items', point.id);
    t.deepEqual(Array.from(stored!.vector), Array.from(point.vector));
    t.like(stored!.payload, { name: `item ${point.id}` });
    const [hit] = await db.search({ collection: 'items', vector: point.vector, topK: 1 });
    t.is(hit!.id, point.id);
  }
});

const badPoints: Array<[string, BatchPoint, ErrorCode]> = [
  ['a wrong dimension', { id: 500, vector: [1, 2, 3] }, 'DIMENSION_MISMATCH'],
  ['an SQL error', { id: 500, vector: [1, 2, 3, 4], payloadInsertQuery: "INSERT INTO items (no_such_column) VALUES ('x')" }, 'SQL_ERROR'],
  ['a constraint violation', { id: 500, vector: [1, 2, 3, 4], payloadInsertQuery: 'INSERT INTO items (name) VALUES (NULL)' }, 'SQL_ERROR'],
  ['a duplicate of an earlier point in the batch', { id: 101, vector: [1, 2, 3, 4] }, 'ALREADY_EXISTS'],
  ['a duplicate of a stored point', { id: 7, vector: [1, 2, 3, 4] }, 'ALREADY_EXISTS'],
  ['a NaN component', { id: 500, vector: [1, Number.NaN, 3, 4] }, 'INVALID_ARGUMENT'],
  ['an unsafe id', { id: 2 ** 53, vector: [1, 2, 3, 4] }, 'INVALID_ARGUMENT'],
];

for (const [what, bad, code] of badPoints) {
  test(`a batch with ${what} in the middle leaves nothing behind (${code})`, async (t) => {
    const { db, file } = await itemsDb(t);
    const before = await captureState(db, file);
    const batch = goodPoints(100, 100, 3);
    batch.splice(50, 0, bad);

    await rejectsWithCode(t, db.insertBatch('items', batch), code);
    t.deepEqual(await captureState(db, file), before);
    t.is(await db.get('items', 100), null, 'points before the bad one were rolled back');

    // The collection is still usable, and the same good points go in afterwards.
    batch.splice(50, 1);
    await db.insertBatch('items', batch);
    t.is((await db.collectionInfo('items')).count, 120);
  });
}

test('insertBatch into an unknown collection is NOT_FOUND', async (t) => {
  const { db, file } = await itemsDb(t);
  const before = await captureState(db, file);
  await rejectsWithCode(t, db.insertBatch('missing', goodPoints(100, 3, 4)), 'NOT_FOUND');
  t.deepEqual(await captureState(db, file), before);
});

test('an empty batch resolves and changes nothing', async (t) => {
  const { db, file } = await itemsDb(t);
  const before = await captureState(db, file);
  await db.insertBatch('items', []);
  t.deepEqual(await captureState(db, file), before);
});
