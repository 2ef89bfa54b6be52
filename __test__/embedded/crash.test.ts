import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { VectorXLite } from '../../src/index.js';
import type { IndexProgress } from '../../src/embedded/types.js';
import { spawnNodeScript } from '../helpers/child-process.js';
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
