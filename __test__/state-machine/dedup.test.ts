import test from 'ava';
import type { Snapshot } from '../../cluster/consensus/types.js';
import { DedupTable } from '../../cluster/state-machine/dedup.js';
import { VectorXLiteError } from '../../src/errors.js';
import { applyAll, LogBuilder, MEMBERSHIP, openEngineSm, vectorFor } from './workload.js';

test('a client silent for a whole window is forgotten; one that writes within it is not', (t) => {
  const table = new DedupTable(5);
  table.record('quiet', 1, 1, { ok: true });
  table.record('busy', 1, 2, { ok: true });
  table.expire(5);
  t.is(table.lastSequence('quiet'), 1, 'entry 5 is four entries after its write');
  table.expire(6);
  t.is(table.lastSequence('quiet'), 0, 'entry 6 is a whole window after it');
  t.is(table.lastSequence('busy'), 1);
  table.record('busy', 2, 6, { ok: true });
  table.expire(10);
  t.is(table.lastSequence('busy'), 2, 'its write at 6 renewed it');
});

test('the table never holds more clients than the window, whatever the number of writers', async (t) => {
  const window = 8;
  const sm = await openEngineSm(t, { dedupWindow: window });
  const log = new LogBuilder();
  log.command('setup', { type: 'createCollection', collection: { name: 'docs', dimension: 2, distance: 'l2' } });
  for (let id = 1; id <= 40; id++) log.command(`writer-${id}`, { type: 'insert', collection: 'docs', point: { id, vector: vectorFor(id, 2) } });
  let largest = 0;
  for (const entry of log.entries) {
    await sm.apply(entry);
    largest = Math.max(largest, sm.dedupSize);
  }
  t.is(largest, window);
  t.is(sm.lastSequence('writer-40'), 1);
  t.is(sm.lastSequence('writer-1'), 0);
});

test('expiry follows log indexes only, so replicas and restored replicas forget the same clients', async (t) => {
  const window = 4;
  const log = new LogBuilder();
  log.command('setup', { type: 'createCollection', collection: { name: 'docs', dimension: 2, distance: 'l2' } });
  const insert = log.command('old', { type: 'insert', collection: 'docs', point: { id: 1, vector: vectorFor(1, 2) } });
  log.command('other', { type: 'delete', collection: 'docs', id: 1 });
  const cut = log.entries.length;
  log.noop();
  const within = log.repeat(insert);
  for (let i = 0; i < window; i++) log.noop();
  const after = log.repeat(insert);

  const a = await openEngineSm(t, { dedupWindow: window });
  const b = await openEngineSm(t, { dedupWindow: window });
  await applyAll(a, log.entries.slice(0, cut));
  const snapshot: Snapshot = { meta: { index: cut, term: 1, membership: MEMBERSHIP }, data: await a.snapshot() };
  await b.restore(snapshot);
  const resultsA = await applyAll(a, log.entries.slice(cut));
  const resultsB = await applyAll(b, log.entries.slice(cut));
  t.deepEqual(resultsB, resultsA);
  t.deepEqual(resultsA[within.index - cut - 1], { ok: true }, 'within the window the retry is answered from the table');
  t.deepEqual(resultsA[after.index - cut - 1], { ok: true }, 'past the window it is applied again (the documented limit)');
  t.not(await a.engine.get('docs', 1), null, 'so the late retry brought the point back, on both replicas');
  t.is(await b.digest(), await a.digest());
});

test('malformed dedup rows in a snapshot are SNAPSHOT_INVALID', (t) => {
  const bad: unknown[] = [
    {},
    [['c', 1, 1]],
    [['c', 0, 1, { ok: true }]],
    [['c', 1, 1, { ok: false, code: 'NOPE', message: 'x' }]],
    [['c', 1, 5, { ok: true }], ['d', 1, 4, { ok: true }]],
    [['c', 1, 1, { ok: true }], ['c', 2, 2, { ok: true }]],
  ];
  for (const rows of bad) {
    t.throws(() => DedupTable.fromRows(rows, 10), { instanceOf: VectorXLiteError, code: 'SNAPSHOT_INVALID' }, JSON.stringify(rows));
  }
  const rows = [['c', 1, 1, { ok: true, deleted: false }], ['d', 3, 2, { ok: false, code: 'NOT_FOUND', message: 'gone' }]];
  t.deepEqual(DedupTable.fromRows(rows, 10).rows(), rows);
});
