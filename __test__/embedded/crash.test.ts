import { join } from 'node:path';
import test from 'ava';
import { VectorXLite } from '../../src/index.js';
import type { IndexProgress } from '../../src/embedded/types.js';
import { spawnNodeScript } from '../helpers/child-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { crashVector } from '../fixtures/crash-data.js';

const ACKS_BEFORE_KILL = 300;

test('after kill -9 mid-insert, every acknowledged point is back, whole, and the index is rebuilt', async (t) => {
  const file = join(await tempDir(t), 'crash.db');
  const child = spawnNodeScript(t, '__test__/fixtures/insert-loop.ts', [file, 'crashy']);
  await child.waitFor((lines) => (lines.filter((line) => line.startsWith('ack ')).length >= ACKS_BEFORE_KILL ? true : undefined));
  const status = await child.kill('SIGKILL');
  t.is(status.signal, 'SIGKILL', 'the child was killed, not finished');

  const acked = child.lines.filter((line) => line.startsWith('ack ')).map((line) => Number(line.slice(4)));
  const progress: IndexProgress[] = [];
  const db = await VectorXLite.open(file, { onProgress: (p) => progress.push(p) });
  t.teardown(() => db.close());

  const { count } = await db.collectionInfo('crashy');
  t.true(count >= acked.length, `${count} points stored, ${acked.length} acknowledged`);

  // Ids are handed out in order, so every stored point lies below the highest id plus the in-flight window.
  const present: number[] = [];
  for (let id = 1; id <= Math.max(...acked) + 100; id++) {
    const point = await db.get('crashy', id);
    if (point === null) continue;
    present.push(id);
    t.deepEqual(Array.from(point.vector), Array.from(crashVector(id)), `vector of ${id}`);
    t.like(point.payload, { label: `point ${id}`, n: id * 3 }, `payload of ${id}`);
  }
  t.is(present.length, count, 'no point hides outside the scanned ids');
  const presentSet = new Set(present);
  t.deepEqual(acked.filter((id) => !presentSet.has(id)), [], 'every acknowledged id survived');

  for (const id of present) {
    const [hit] = await db.search({ collection: 'crashy', vector: crashVector(id), topK: 1 });
    if (hit?.id !== id) t.fail(`point ${id} is stored but not found in the index`);
  }

  const rebuilds = progress.filter((p) => p.collection === 'crashy' && p.reason === 'open');
  t.true(rebuilds.length > 0, 'onProgress reported the rebuild on open');
  t.like(rebuilds.at(-1), { done: count, total: count });
});

test('a database recovered from kill -9 keeps new writes across a clean close', async (t) => {
  const file = join(await tempDir(t), 'crash.db');
  const child = spawnNodeScript(t, '__test__/fixtures/insert-loop.ts', [file, 'crashy']);
  await child.waitForLine((line) => line === 'ack 20');
  await child.kill('SIGKILL');

  const recovered = await VectorXLite.open(file);
  t.teardown(() => recovered.close());
  const { count } = await recovered.collectionInfo('crashy');
  await recovered.insert({ collection: 'crashy', id: 1_000_000, vector: crashVector(1_000_000), payloadInsertQuery: "INSERT INTO crashy (label, n) VALUES ('after', 0)" });
  await recovered.close();

  const progress: IndexProgress[] = [];
  const reopened = await VectorXLite.open(file, { onProgress: (p) => progress.push(p) });
  t.teardown(() => reopened.close());
  t.is((await reopened.collectionInfo('crashy')).count, count + 1);
  const [hit] = await reopened.search({ collection: 'crashy', vector: crashVector(1_000_000), topK: 1 });
  t.is(hit!.id, 1_000_000);
  t.deepEqual(progress.filter((p) => p.reason === 'open'), [], 'the clean close left a current index file');
});
