import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { VectorXLite } from '../../src/index.js';
import type { IndexProgress } from '../../src/embedded/types.js';
import { spawnNodeScript } from '../helpers/child-process.js';
import { captureState } from '../helpers/embedded.js';
import { randomVectors } from '../helpers/random.js';
import { tempDir } from '../helpers/temp-dir.js';
import { crashPayload, crashPoint, crashVector } from '../fixtures/crash-data.js';

const FIXTURE = '__test__/fixtures/insert-loop.ts';

/** Starts the insert loop, lets `acks` points be acknowledged, then kills it with SIGKILL. */
async function insertThenKill(t: ExecutionContext, args: string[], acks: number): Promise<{ file: string; acked: number[] }> {
  const file = join(await tempDir(t), 'crash.db');
  const child = spawnNodeScript(t, FIXTURE, [file, 'crashy', ...args]);
  const count = (lines: readonly string[]) => lines.filter((line) => line.startsWith('ack ')).length;
  await child.waitFor((lines) => (count(lines) >= acks ? true : undefined));
  const status = await child.kill('SIGKILL');
  t.is(status.signal, 'SIGKILL', 'the child was killed, not finished');
  return { file, acked: child.lines.filter((line) => line.startsWith('ack ')).map((line) => Number(line.slice(4))) };
}

/**
 * Reopens the database and checks it: every acknowledged id is stored whole (vector and
 * payload) and found by the index; every stored point is whole; returns the stored ids.
 */
async function verifyAfterCrash(t: ExecutionContext, file: string, acked: number[]) {
  const progress: IndexProgress[] = [];
  const db = await VectorXLite.open(file, { onProgress: (p) => progress.push(p) });
  t.teardown(() => db.close());
  const { count } = await db.collectionInfo('crashy');
  t.true(count >= acked.length, `${count} points stored, ${acked.length} acknowledged`);

  // Ids are handed out in order, so every stored point lies below the highest acknowledged
  // id plus what the in-flight calls could have taken.
  const present: number[] = [];
  for (let id = 1; id <= Math.max(...acked) + 1_000; id++) {
    const point = await db.get('crashy', id);
    if (point === null) continue;
    present.push(id);
    t.deepEqual(Array.from(point.vector), Array.from(crashVector(id)), `vector of ${id}`);
    t.like(point.payload, crashPayload(id), `payload of ${id}`);
  }
  t.is(present.length, count, 'no point hides outside the scanned ids');
  const presentSet = new Set(present);
  t.deepEqual(acked.filter((id) => !presentSet.has(id)), [], 'every acknowledged id survived');

  const unfound: number[] = [];
  for (const id of present) {
    const [hit] = await db.search({ collection: 'crashy', vector: crashVector(id), topK: 1 });
    if (hit?.id !== id) unfound.push(id);
  }
  t.deepEqual(unfound, [], 'every stored point is in the index');

  const rebuilds = progress.filter((p) => p.collection === 'crashy' && p.reason === 'open');
  t.true(rebuilds.length > 0, 'onProgress reported the rebuild on open');
  t.like(rebuilds.at(-1), { done: count, total: count });
  return { db, present };
}

test('after kill -9 mid-insert, every acknowledged point is back, whole, and the index is rebuilt', async (t) => {
  const { file, acked } = await insertThenKill(t, [], 300);
  await verifyAfterCrash(t, file, acked);
});

test('after kill -9 mid-insertBatch while the index keeps growing, only whole batches exist', async (t) => {
  const batch = 25;
  const { file, acked } = await insertThenKill(t, [String(batch), '64'], 600);
  const { present } = await verifyAfterCrash(t, file, acked);

  const perBatch = new Map<number, number>();
  for (const id of present) perBatch.set(Math.floor((id - 1) / batch), (perBatch.get(Math.floor((id - 1) / batch)) ?? 0) + 1);
  t.deepEqual([...perBatch].filter(([, stored]) => stored !== batch), [], 'no batch is half-written');
});

test('a database recovered from kill -9 keeps new writes across a clean close', async (t) => {
  const { file } = await insertThenKill(t, [], 20);
  const recovered = await VectorXLite.open(file);
  t.teardown(() => recovered.close());
  const { count } = await recovered.collectionInfo('crashy');
  await recovered.insert({ collection: 'crashy', ...crashPoint('crashy', 1_000_000) });
  await recovered.close();

  const progress: IndexProgress[] = [];
  const reopened = await VectorXLite.open(file, { onProgress: (p) => progress.push(p) });
  t.teardown(() => reopened.close());
  t.is((await reopened.collectionInfo('crashy')).count, count + 1);
  const [hit] = await reopened.search({ collection: 'crashy', vector: crashVector(1_000_000), topK: 1 });
  t.is(hit!.id, 1_000_000);
  t.deepEqual(progress.filter((p) => p.reason === 'open'), [], 'the clean close left a current index file');
});

/** A snapshot of one database built by `fill`, and what a user sees of it. */
async function snapshotOf(t: ExecutionContext, path: string, fill: (db: VectorXLite) => Promise<void>) {
  const db = await VectorXLite.open(':memory:');
  t.teardown(() => db.close());
  await fill(db);
  await db.exportSnapshot(path);
  return captureState(db, ':memory:');
}

test('after kill -9 in the middle of importing snapshots, the database holds one snapshot whole', async (t) => {
  const dir = await tempDir(t);
  const pathA = join(dir, 'a.snapshot');
  const pathB = join(dir, 'b.snapshot');
  const stateA = await snapshotOf(t, pathA, async (db) => {
    await db.createCollection({ name: 'alpha', dimension: 32, payloadSchema: 'CREATE TABLE alpha (rowid INTEGER PRIMARY KEY, tag TEXT)' });
    await db.insertBatch('alpha', randomVectors(2000, 32, 1).map((vector, i) => ({ id: i, vector, payloadInsertQuery: `INSERT INTO alpha (tag) VALUES ('a${i}')` })));
  });
  const stateB = await snapshotOf(t, pathB, async (db) => {
    await db.createCollection({ name: 'alpha', dimension: 32, payloadSchema: 'CREATE TABLE alpha (rowid INTEGER PRIMARY KEY, tag TEXT)' });
    await db.insertBatch('alpha', randomVectors(1500, 32, 2).map((vector, i) => ({ id: i, vector, payloadInsertQuery: `INSERT INTO alpha (tag) VALUES ('b${i}')` })));
    await db.createCollection({ name: 'beta', dimension: 4, distance: 'l2' });
    await db.insertBatch('beta', randomVectors(300, 4, 3).map((vector, i) => ({ id: i, vector })));
  });

  const file = join(dir, 'target.db');
  const child = spawnNodeScript(t, '__test__/fixtures/import-loop.ts', [file, pathA, pathB]);
  await child.waitFor((lines) => (lines.filter((line) => line.startsWith('imported ')).length >= 3 ? true : undefined));
  await child.kill('SIGKILL');

  const db = await VectorXLite.open(file);
  t.teardown(() => db.close());
  const state = await captureState(db, ':memory:');
  const holds = state.collections.some((c) => c.name === 'beta') ? 'b' : 'a';
  t.deepEqual(state, holds === 'a' ? stateA : stateB, `the database holds snapshot ${holds} exactly`);
});

test('after kill -9 mid-delete, acknowledged deletes stay deleted and every other point is whole', async (t) => {
  const file = join(await tempDir(t), 'deletes.db');
  const total = 2000;
  const setup = await VectorXLite.open(file);
  t.teardown(() => setup.close());
  await setup.createCollection({ name: 'crashy', dimension: 16, payloadSchema: 'CREATE TABLE crashy (rowid INTEGER PRIMARY KEY, label TEXT NOT NULL, n INTEGER NOT NULL)' });
  for (let first = 1; first <= total; first += 500) {
    await setup.insertBatch('crashy', Array.from({ length: 500 }, (_, i) => crashPoint('crashy', first + i)));
  }
  await setup.close();

  const child = spawnNodeScript(t, '__test__/fixtures/delete-loop.ts', [file, 'crashy']);
  const deleted = await child.waitFor((lines) => {
    const ids = lines.filter((line) => line.startsWith('deleted ')).map((line) => Number(line.slice(8)));
    return ids.length >= 300 ? ids : undefined;
  });
  await child.kill('SIGKILL');
  const acked = child.lines.filter((line) => line.startsWith('deleted ')).map((line) => Number(line.slice(8)));
  t.true(acked.length >= deleted.length);
  t.deepEqual(child.lines.filter((line) => line.startsWith('not found ')), [], 'every delete found its point');

  const db = await VectorXLite.open(file);
  t.teardown(() => db.close());
  const gone = new Set(acked);
  const kept: number[] = [];
  for (let id = 1; id <= total; id++) {
    const point = await db.get('crashy', id);
    if (gone.has(id)) {
      if (point !== null) t.fail(`acknowledged delete of ${id} was lost`);
      continue;
    }
    if (point === null) continue;
    kept.push(id);
    t.deepEqual(Array.from(point.vector), Array.from(crashVector(id)), `vector of ${id}`);
    t.like(point.payload, crashPayload(id), `payload of ${id}`);
  }
  t.is((await db.collectionInfo('crashy')).count, kept.length);
  // Deletes are handed out in id order, at most 4 in flight: every id past that window is untouched.
  const untouched = Math.max(...acked) + 4;
  const keptSet = new Set(kept);
  const lost = Array.from({ length: total - untouched }, (_, i) => untouched + 1 + i).filter((id) => !keptSet.has(id));
  t.deepEqual(lost, [], `points never deleted (above ${untouched}) are kept`);

  const wrong: number[] = [];
  for (const id of [...gone].slice(0, 200)) {
    const hits = await db.search({ collection: 'crashy', vector: crashVector(id), topK: 3 });
    if (hits.some((h) => gone.has(h.id))) wrong.push(id);
  }
  for (const id of kept.slice(-200)) {
    const [hit] = await db.search({ collection: 'crashy', vector: crashVector(id), topK: 1 });
    if (hit?.id !== id) wrong.push(id);
  }
  t.deepEqual(wrong, [], 'the index holds exactly the kept points');
});

test('after kill -9 during repeated close and reopen, no torn index file is trusted', async (t) => {
  const file = join(await tempDir(t), 'reopen.db');
  const initial = 8_000;
  const setup = await VectorXLite.open(file);
  t.teardown(() => setup.close());
  await setup.createCollection({ name: 'crashy', dimension: 16, payloadSchema: 'CREATE TABLE crashy (rowid INTEGER PRIMARY KEY, label TEXT NOT NULL, n INTEGER NOT NULL)' });
  for (let first = 1; first <= initial; first += 2_000) {
    await setup.insertBatch('crashy', Array.from({ length: 2_000 }, (_, i) => crashPoint('crashy', first + i)));
  }
  await setup.close();

  const child = spawnNodeScript(t, '__test__/fixtures/reopen-loop.ts', [file, 'crashy', String(initial + 1)]);
  await child.waitFor((lines) => (lines.filter((line) => line === 'closing').length >= 4 ? true : undefined));
  await child.kill('SIGKILL');
  const acked = child.lines.filter((line) => line.startsWith('ack ')).map((line) => Number(line.slice(4)));

  const db = await VectorXLite.open(file);
  t.teardown(() => db.close());
  const { count } = await db.collectionInfo('crashy');
  t.true(count >= initial + acked.length);
  const unfound: number[] = [];
  for (const id of [...Array.from({ length: 200 }, (_, i) => 1 + i * 40), ...acked]) {
    const [hit] = await db.search({ collection: 'crashy', vector: crashVector(id), topK: 1 });
    if (hit?.id !== id) unfound.push(id);
  }
  t.deepEqual(unfound, [], 'old and newly acknowledged points are all in the index');
});

test('an import that resolved survives kill -9 right after it', async (t) => {
  const dir = await tempDir(t);
  const snapshot = join(dir, 'fresh.snapshot');
  const expected = await snapshotOf(t, snapshot, async (db) => {
    await db.createCollection({ name: 'fresh', dimension: 8, payloadSchema: 'CREATE TABLE fresh (rowid INTEGER PRIMARY KEY, tag TEXT)' });
    await db.insertBatch('fresh', randomVectors(500, 8, 4).map((vector, i) => ({ id: i, vector, payloadInsertQuery: `INSERT INTO fresh (tag) VALUES ('f${i}')` })));
  });

  const file = join(dir, 'target.db');
  const seed = await VectorXLite.open(file);
  t.teardown(() => seed.close());
  await seed.createCollection({ name: 'old', dimension: 2 });
  await seed.insert({ collection: 'old', id: 1, vector: [1, 0] });
  await seed.close();

  const child = spawnNodeScript(t, '__test__/fixtures/import-loop.ts', [file, snapshot]);
  await child.waitForLine((line) => line === 'imported fresh.snapshot');
  await child.kill('SIGKILL');

  const db = await VectorXLite.open(file);
  t.teardown(() => db.close());
  t.deepEqual(await captureState(db, ':memory:'), expected);
});
