import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { EngineStateMachine } from '../../cluster/state-machine/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { encodeCommand } from '../../cluster/commands/codec.js';
import { applyAll, LogBuilder, openEngineSm, standardLog, vectorFor } from './workload.js';

test('replaying the same log on two fresh engines gives identical digests and results', async (t) => {
  const { entries } = standardLog();
  const a = await openEngineSm(t);
  const b = await openEngineSm(t);
  const resultsA = await applyAll(a, entries);
  const resultsB = await applyAll(b, entries);
  t.deepEqual(resultsA, resultsB, 'every entry gave the same result on both replicas');
  t.is(await a.digest(), await b.digest());
  t.is(await a.appliedIndex(), entries.length);
  t.is(await b.appliedIndex(), entries.length);
  const docs = await a.engine.collectionInfo('docs');
  t.is(docs.count, 60 + 20 + 10 - 13, 'single inserts, the good batch and late inserts, minus deletes');
  t.is(await a.engine.get('docs', 200), null, 'the batch refused by a CHECK constraint left no point');
  t.false(await a.engine.collectionExists('scratch'));
});

test('the digest tells different data apart', async (t) => {
  const { entries } = standardLog();
  const a = await openEngineSm(t);
  const b = await openEngineSm(t);
  await applyAll(a, entries);
  await applyAll(b, entries.slice(0, -1));
  t.not(await a.digest(), await b.digest());
});

test('failing commands give identical results on two replicas and the state machine goes on', async (t) => {
  const log = new LogBuilder();
  log.command('c', { type: 'createCollection', collection: { name: 'docs', dimension: 4, distance: 'l2', payloadSchema: 'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, tag TEXT UNIQUE)' } });
  log.command('c', { type: 'insert', collection: 'docs', point: { id: 1, vector: vectorFor(1, 4), payloadInsertQuery: "INSERT INTO docs (tag) VALUES ('a')" } });
  const failing = [
    log.command('c', { type: 'createCollection', collection: { name: 'docs', dimension: 4, distance: 'l2' } }),
    log.command('c', { type: 'insert', collection: 'docs', point: { id: 1, vector: vectorFor(1, 4) } }),
    log.command('c', { type: 'insert', collection: 'docs', point: { id: 2, vector: vectorFor(2, 3) } }),
    log.command('c', { type: 'insert', collection: 'docs', point: { id: 3, vector: vectorFor(3, 4), payloadInsertQuery: 'INSERT INTO docs (missing) VALUES (1)' } }),
    log.command('c', { type: 'insert', collection: 'docs', point: { id: 4, vector: vectorFor(4, 4), payloadInsertQuery: "INSERT INTO docs (tag) VALUES ('a')" } }),
    log.command('c', { type: 'insert', collection: 'nowhere', point: { id: 1, vector: vectorFor(1, 4) } }),
    log.command('c', { type: 'insert', collection: 'docs', point: { id: 5, vector: vectorFor(5, 4), payloadInsertQuery: 'INSERT INTO docs (tag) VALUES (random())' } }),
    log.command('c', { type: 'insert', collection: 'docs', point: { id: 6, vector: vectorFor(6, 4), payloadInsertQuery: 'DELETE FROM docs' } }),
    log.command('c', { type: 'insertBatch', collection: 'docs', points: [{ id: 7, vector: vectorFor(7, 4) }, { id: 7, vector: vectorFor(7, 4) }] }),
    log.command('c', { type: 'deleteCollection', collection: 'nowhere' }),
    log.command('c', { type: 'delete', collection: 'nowhere', id: 1 }),
    log.raw(encodeCommand({ type: 'insert', clientId: 'c', seq: 99, collection: 'docs', point: { id: 8, vector: vectorFor(8, 4) } }).slice(0, 20)),
    log.raw(new TextEncoder().encode('{"type":"insert"}')),
  ];
  log.command('c', { type: 'insert', collection: 'docs', point: { id: 9, vector: vectorFor(9, 4), payloadInsertQuery: "INSERT INTO docs (tag) VALUES ('b')" } });

  const a = await openEngineSm(t);
  const b = await openEngineSm(t);
  const resultsA = await applyAll(a, log.entries);
  const resultsB = await applyAll(b, log.entries);
  t.deepEqual(resultsA, resultsB);
  const byIndex = (i: number) => resultsA[i - 1];
  t.deepEqual(
    failing.map((e) => { const r = byIndex(e.index); return r.ok ? 'ok' : r.code; }),
    [
      'ALREADY_EXISTS',
      'ALREADY_EXISTS',
      'DIMENSION_MISMATCH',
      'SQL_ERROR',
      'SQL_ERROR',
      'NOT_FOUND',
      'FORBIDDEN_SQL',
      'FORBIDDEN_SQL',
      'ALREADY_EXISTS',
      'NOT_FOUND',
      'NOT_FOUND',
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
    ],
  );
  for (const e of failing) {
    const r = byIndex(e.index);
    if (!r.ok) t.true(r.message.length > 0, `entry ${e.index} explains its refusal`);
  }
  t.deepEqual(resultsA.at(-1), { ok: true }, 'the write after the failures is applied');
  t.is(await a.appliedIndex(), log.entries.length);
  t.deepEqual((await a.engine.get('docs', 9))?.payload, { rowid: 9, tag: 'b' });
  t.is((await a.engine.collectionInfo('docs')).count, 2, 'no failed write left a point behind');
  t.is(await a.digest(), await b.digest());
});

test('a retried write with the same client id and sequence is applied once and returns the first result', async (t) => {
  const log = new LogBuilder();
  log.command('c', { type: 'createCollection', collection: { name: 'docs', dimension: 4, distance: 'cosine' } });
  const insert = log.command('c', { type: 'insert', collection: 'docs', point: { id: 1, vector: vectorFor(1, 4) } });
  const retried = log.repeat(insert);
  const del = log.command('c', { type: 'delete', collection: 'docs', id: 1 });
  log.noop();
  const retriedDelete = log.repeat(del);
  const retriedInsert = log.repeat(insert);

  const sm = await openEngineSm(t);
  const results = await applyAll(sm, log.entries);
  t.deepEqual(results[insert.index - 1], { ok: true });
  t.deepEqual(results[retried.index - 1], { ok: true }, 'the retry gets the first result, not ALREADY_EXISTS');
  t.deepEqual(results[del.index - 1], { ok: true, deleted: true });
  t.deepEqual(results[retriedDelete.index - 1], { ok: true, deleted: true }, 'the retried delete still reports the point existed');
  t.like(results[retriedInsert.index - 1], { ok: false, code: 'FAILED_PRECONDITION' }, 'a sequence older than the last is not applied again');
  t.is(await sm.engine.get('docs', 1), null, 'the old insert did not come back');
  t.is(sm.lastSequence('c'), 3);
});

test('a failed write is remembered too: its retry returns the same failure without running again', async (t) => {
  const log = new LogBuilder();
  log.command('c', { type: 'createCollection', collection: { name: 'docs', dimension: 4, distance: 'cosine' } });
  const insert = log.command('d', { type: 'insert', collection: 'docs', point: { id: 1, vector: vectorFor(1, 4) } });
  const failed = log.command('c', { type: 'insert', collection: 'docs', point: { id: 1, vector: vectorFor(2, 4) } });
  log.command('d', { type: 'delete', collection: 'docs', id: 1 });
  log.repeat(failed);
  const sm = await openEngineSm(t);
  const results = await applyAll(sm, log.entries);
  t.deepEqual(results[0], { ok: true });
  t.deepEqual(results[insert.index - 1], { ok: true });
  t.like(results[failed.index - 1], { ok: false, code: 'ALREADY_EXISTS' });
  t.deepEqual(results.at(-1), results[failed.index - 1], 'the retry is answered from the table, not applied to the now free id');
  t.is(await sm.engine.get('docs', 1), null);
});

test('noop and config entries only advance the applied index', async (t) => {
  const log = new LogBuilder();
  log.config();
  log.noop();
  log.noop();
  const sm = await openEngineSm(t);
  t.is(await sm.appliedIndex(), 0);
  const empty = await sm.digest();
  for (const e of log.entries) t.deepEqual(await sm.apply(e), { ok: true });
  t.is(await sm.appliedIndex(), 3);
  t.is(await sm.digest(), empty);
});

test('an entry out of log order is a driver bug and throws, leaving the state as it was', async (t) => {
  const log = new LogBuilder();
  log.noop();
  log.noop();
  log.noop();
  const sm = await openEngineSm(t);
  await sm.apply(log.entries[0]);
  await t.throwsAsync(sm.apply(log.entries[2]), { instanceOf: RangeError });
  await t.throwsAsync(sm.apply(log.entries[0]), { instanceOf: RangeError });
  t.is(await sm.appliedIndex(), 1);
  await sm.apply(log.entries[1]);
  t.is(await sm.appliedIndex(), 2);
});

test('open() starts empty even where an earlier state machine left data (state is rebuilt, never trusted)', async (t) => {
  const { entries } = standardLog();
  const first = await openEngineSm(t);
  const dataDir = first.dataDir;
  await applyAll(first, entries);
  await first.close();
  const reopened = await openEngineSm(t, { dataDir });
  t.is(await reopened.appliedIndex(), 0);
  t.deepEqual(await reopened.engine.listCollections(), []);
});

test('open() refuses a directory holding files it did not create, and deletes none of them', async (t) => {
  const dir = await tempDir(t, 'vxl-sm-shared-');
  await writeFile(join(dir, 'raft.log'), 'precious');
  await t.throwsAsync(EngineStateMachine.open({ dataDir: dir }), { code: 'FAILED_PRECONDITION', message: /raft\.log/ });
  t.is(await readFile(join(dir, 'raft.log'), 'utf8'), 'precious');
});
