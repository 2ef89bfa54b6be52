import test from 'ava';
import type { Snapshot } from '../../cluster/consensus/types.js';
import { VectorXLiteError } from '../../src/errors.js';
import { applyAll, LogBuilder, MEMBERSHIP, openEngineSm, standardLog, vectorFor } from './workload.js';

function snapshotAt(index: number, data: Uint8Array): Snapshot {
  return { meta: { index, term: 1, membership: MEMBERSHIP }, data };
}

test('a replica restored from a mid-log snapshot ends identical to one that applied every entry', async (t) => {
  const { entries } = standardLog();
  const cut = 70;
  const full = await openEngineSm(t);
  const restored = await openEngineSm(t);
  await applyAll(full, entries.slice(0, cut));
  await restored.restore(snapshotAt(cut, await full.snapshot()));
  t.is(await restored.appliedIndex(), cut);
  const resultsFull = await applyAll(full, entries.slice(cut));
  const resultsRestored = await applyAll(restored, entries.slice(cut));
  t.deepEqual(resultsRestored, resultsFull, 'the same result for every later entry');
  t.is(await restored.digest(), await full.digest());
});

test('the dedup table travels in the snapshot: retries of earlier writes get their first results', async (t) => {
  const log = new LogBuilder();
  log.command('c', { type: 'createCollection', collection: { name: 'docs', dimension: 4, distance: 'cosine' } });
  const ok = log.command('alice', { type: 'insert', collection: 'docs', point: { id: 1, vector: vectorFor(1, 4) } });
  const refused = log.command('bob', { type: 'insert', collection: 'docs', point: { id: 1, vector: vectorFor(2, 4) } });
  const del = log.command('carol', { type: 'delete', collection: 'docs', id: 1 });
  const source = await openEngineSm(t);
  const target = await openEngineSm(t);
  const first = await applyAll(source, log.entries);
  await target.restore(snapshotAt(log.entries.length, await source.snapshot()));
  t.is(target.lastSequence('alice'), 1);
  t.is(target.dedupSize, source.dedupSize);

  // Applied again, the delete would report no point and the insert would bring the point back.
  const retries = [log.repeat(del), log.repeat(ok), log.repeat(refused)];
  const fromSource = await applyAll(source, retries);
  const fromTarget = await applyAll(target, retries);
  t.deepEqual(fromTarget, fromSource);
  t.deepEqual(fromTarget, [first[del.index - 1], first[ok.index - 1], first[refused.index - 1]]);
  t.deepEqual(fromTarget[0], { ok: true, deleted: true });
  t.is(await target.engine.get('docs', 1), null, 'the retried insert was not applied after the delete');
  t.is(await target.digest(), await source.digest());
});

test('a damaged snapshot is refused with SNAPSHOT_INVALID and the state stays as it was', async (t) => {
  const { entries } = standardLog();
  const source = await openEngineSm(t);
  await applyAll(source, entries);
  const good = await source.snapshot();
  const target = await openEngineSm(t);
  await applyAll(target, entries.slice(0, 10));
  const before = await target.digest();

  const flipped = (at: number) => {
    const copy = good.slice();
    copy[at] ^= 0xff;
    return copy;
  };
  const damaged: Array<[string, Uint8Array]> = [
    ['bad magic', flipped(0)],
    ['future version', flipped(4)],
    ['dedup table not JSON', flipped(17)],
    ['engine file byte flipped', flipped(good.length - 100)],
    ['engine file truncated', good.subarray(0, good.length - 1)],
    ['only the header', good.subarray(0, 17)],
  ];
  for (const [label, data] of damaged) {
    await t.throwsAsync(target.restore(snapshotAt(entries.length, data)), { instanceOf: VectorXLiteError, code: 'SNAPSHOT_INVALID' }, label);
    t.is(await target.appliedIndex(), 10, label);
  }
  t.is(await target.digest(), before);
  await target.restore(snapshotAt(entries.length, good));
  t.is(await target.digest(), await source.digest(), 'the intact snapshot still restores');
});

test('a snapshot of an empty state machine restores to empty', async (t) => {
  const source = await openEngineSm(t);
  const target = await openEngineSm(t);
  const log = new LogBuilder();
  log.command('c', { type: 'createCollection', collection: { name: 'docs', dimension: 2, distance: 'l2' } });
  await applyAll(target, log.entries);
  await target.restore(snapshotAt(0, await source.snapshot()));
  t.is(await target.appliedIndex(), 0);
  t.deepEqual(await target.engine.listCollections(), []);
  t.is(await target.digest(), await source.digest());
});
