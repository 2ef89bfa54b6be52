import test from 'ava';
import type { CommandResult } from '../../cluster/commands/types.js';
import type { LogEntry } from '../../cluster/consensus/types.js';
import type { EngineStateMachine } from '../../cluster/state-machine/engine.js';
import { applyAll, DIMENSION, LogBuilder, openEngineSm, SCHEMA, standardLog, vectorFor } from './workload.js';

/**
 * Concurrent clients' single inserts, as a leader commits them together, mixed with what must
 * break a combined insert: refusals inside a run, a retry the dedup table answers, a client's
 * second write, another collection, a run longer than one combined call, and an entry that
 * does not decode.
 */
function concurrentInserts(): LogBuilder {
  const log = new LogBuilder();
  log.config();
  log.command('admin', { type: 'createCollection', collection: { name: 'docs', dimension: DIMENSION, distance: 'cosine', payloadSchema: SCHEMA } });
  log.command('admin', { type: 'createCollection', collection: { name: 'other', dimension: 3, distance: 'l2' } });
  const insert = (client: string, id: number, extra: { dimension?: number; sql?: string; collection?: string } = {}) =>
    log.command(client, {
      type: 'insert',
      collection: extra.collection ?? 'docs',
      point: { id, vector: vectorFor(id, extra.dimension ?? DIMENSION), payloadInsertQuery: extra.sql ?? `INSERT INTO docs (label, score) VALUES ('p${id}', ${id})` },
    });
  for (let id = 1; id <= 10; id++) insert(`w${id}`, id);
  insert('w11', 3); // the id is taken: refused inside a run
  insert('w12', 12, { dimension: 5 }); // wrong dimension
  const retried = insert('w13', 13);
  log.repeat(retried); // answered by the dedup table
  insert('w14', 14, { sql: "INSERT INTO docs (label, score) VALUES ('negative', -1)" }); // CHECK violation
  insert('w14', 15); // the same client again
  insert('w16', 1, { collection: 'other', dimension: 3, sql: 'INSERT INTO other (rowid) VALUES (1)' });
  const point = (id: number) => ({ type: 'insert' as const, collection: 'docs', point: { id, vector: vectorFor(id), payloadInsertQuery: `INSERT INTO docs (label) VALUES ('p${id}')` } });
  log.command('late', point(30), 2);
  log.command('late', point(31), 1); // an older sequence after a newer one: refused, never inserted
  for (let id = 100; id < 200; id++) insert(`v${id}`, id); // longer than one combined call
  log.command('admin', { type: 'delete', collection: 'docs', id: 5 });
  for (let id = 200; id < 205; id++) insert(`u${id}`, id);
  log.raw(new Uint8Array([0x56, 0x58, 0x43, 1, 2, 0, 0])); // an undecodable entry between two runs
  for (let id = 205; id < 210; id++) insert(`u${id}`, id);
  return log;
}

/** Applies `entries` through applyBatch, `size` entries per call (a Ready's committed entries). */
async function applyInBatches(sm: EngineStateMachine, entries: readonly LogEntry[], size: number): Promise<CommandResult[]> {
  const results: CommandResult[] = [];
  for (let i = 0; i < entries.length; i += size) results.push(...(await sm.applyBatch(entries.slice(i, i + size))));
  return results;
}

/** Counts the database's insertBatch calls; they still run. */
function countInsertBatches(sm: EngineStateMachine): () => number {
  const db = sm.engine;
  const real = db.insertBatch.bind(db);
  let calls = 0;
  db.insertBatch = (...args) => {
    calls++;
    return real(...args);
  };
  return () => calls;
}

for (const [name, log] of [['concurrent inserts', concurrentInserts()], ['the standard workload', standardLog()]] as const) {
  test(`applyBatch gives the results, data and dedup answers of apply one entry at a time: ${name}`, async (t) => {
    const one = await openEngineSm(t);
    const expected = await applyAll(one, log.entries);
    for (const size of [log.entries.length, 7, 2]) {
      const batched = await openEngineSm(t);
      const combined = countInsertBatches(batched);
      t.deepEqual(await applyInBatches(batched, log.entries, size), expected, `${size} entries per call`);
      t.is(await batched.digest(), await one.digest());
      t.is(await batched.appliedIndex(), log.entries.length);
      t.is(batched.dedupSize, one.dedupSize);
      if (name === 'concurrent inserts') t.true(combined() > 0, 'runs of inserts went to the database together');
    }
  });
}

test('applyBatch keeps the dedup window: a client expired between the entries of one call is a new writer again', async (t) => {
  const log = new LogBuilder();
  log.command('admin', { type: 'createCollection', collection: { name: 'docs', dimension: DIMENSION, distance: 'cosine' } });
  const first = log.command('early', { type: 'insert', collection: 'docs', point: { id: 1, vector: vectorFor(1) } });
  for (let id = 2; id <= 6; id++) log.command(`w${id}`, { type: 'insert', collection: 'docs', point: { id, vector: vectorFor(id) } });
  log.repeat(first); // past the window: no longer remembered, so applied again and refused (the id is taken)
  const one = await openEngineSm(t, { dedupWindow: 3 });
  const batched = await openEngineSm(t, { dedupWindow: 3 });
  const expected = await applyAll(one, log.entries);
  t.deepEqual(await batched.applyBatch(log.entries), expected);
  t.like(expected.at(-1), { ok: false, code: 'ALREADY_EXISTS' });
  t.is(batched.dedupSize, one.dedupSize);
});
