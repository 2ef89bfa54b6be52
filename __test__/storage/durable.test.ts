/**
 * What only the durable stores have: files that outlive the process, damage on disk, a
 * directory one node owns, and a lifecycle that ends in CLOSED.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import Database from 'better-sqlite3';
import { VectorXLiteError, type ErrorCode } from '../../src/errors.js';
import { loadDurableState } from '../../cluster/consensus/driver.js';
import { openDurableStores } from '../../cluster/storage/durable.js';
import { tempDir } from '../helpers/temp-dir.js';
import { entry, run } from './contract.js';

function throwsCode(t: ExecutionContext, fn: () => unknown, code: ErrorCode, label?: string): void {
  const error = t.throws(fn, { instanceOf: VectorXLiteError }, label);
  t.is(error?.code, code, label);
}

/** Changes a store's database behind its back, the way a bad disk or a stray tool would. */
function tamper(dir: string, file: string, sql: string): void {
  const db = new Database(join(dir, file));
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

function countEntries(dir: string): number {
  const db = new Database(join(dir, 'log.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM entries').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function logWith(t: ExecutionContext, entries: number): Promise<string> {
  const dir = await tempDir(t, 'vxl-raft-store-');
  const stores = openDurableStores(dir);
  stores.log.append(run(1, entries, 1));
  stores.close();
  return dir;
}

test('every method of a closed store throws CLOSED; close is idempotent', async (t) => {
  const stores = openDurableStores(await tempDir(t, 'vxl-raft-store-'));
  stores.close();
  stores.close();
  const { log, hardState, snapshots } = stores;
  const calls: Array<[string, () => unknown]> = [
    ['log.firstIndex', () => log.firstIndex()],
    ['log.lastIndex', () => log.lastIndex()],
    ['log.entries', () => log.entries(1, 0)],
    ['log.append', () => log.append([entry(1, 1)])],
    ['log.compact', () => log.compact(1)],
    ['log.reset', () => log.reset(1)],
    ['hardState.load', () => hardState.load()],
    ['hardState.save', () => hardState.save({ term: 1, vote: null, commit: 0 })],
    ['snapshots.load', () => snapshots.load()],
    ['snapshots.save', () => snapshots.save({ meta: { index: 1, term: 1, membership: { members: [] } }, data: new Uint8Array() })],
  ];
  for (const [name, call] of calls) throwsCode(t, call, 'CLOSED', name);
});

test('a node directory is refused with FAILED_PRECONDITION while another opener holds it', async (t) => {
  const dir = await tempDir(t, 'vxl-raft-store-');
  const first = openDurableStores(dir);
  first.log.append([entry(1, 1)]);
  throwsCode(t, () => openDurableStores(dir), 'FAILED_PRECONDITION');
  first.close();
  const second = openDurableStores(dir);
  t.teardown(() => second.close());
  t.deepEqual(second.log.entries(1, 1), [entry(1, 1)], 'the refused opener changed nothing');
});

test('a tail of entries cut short is dropped on open, and the drop is durable', async (t) => {
  const dir = await logWith(t, 10);
  tamper(dir, 'log.sqlite', 'UPDATE entries SET data = substr(data, 1, 3) WHERE idx >= 8');
  let stores = openDurableStores(dir);
  t.is(stores.log.lastIndex(), 7);
  t.deepEqual(stores.log.entries(1, 7), run(1, 7, 1));
  stores.close();
  t.is(countEntries(dir), 7, 'the damaged rows were deleted from the file');
  stores = openDurableStores(dir);
  t.teardown(() => stores.close());
  t.is(stores.log.lastIndex(), 7, 'still gone after another restart');
  stores.log.append(run(8, 9, 2));
  t.deepEqual(stores.log.entries(7, 9), [entry(7, 1), ...run(8, 9, 2)], 'the log continues where the good entries end');
});

test('a last entry whose checksum no longer matches is dropped on open', async (t) => {
  const dir = await logWith(t, 10);
  tamper(dir, 'log.sqlite', "UPDATE entries SET data = CAST('garbled' AS BLOB) WHERE idx = 10");
  const stores = openDurableStores(dir);
  t.teardown(() => stores.close());
  t.is(stores.log.lastIndex(), 9);
  t.deepEqual(stores.log.entries(1, 9), run(1, 9, 1));
});

test('a tail whose rows hold the wrong kinds of values is dropped on open', async (t) => {
  const dir = await logWith(t, 6);
  tamper(dir, 'log.sqlite', "UPDATE entries SET term = 'one' WHERE idx = 5; UPDATE entries SET data = 'text, not bytes' WHERE idx = 6");
  const stores = openDurableStores(dir);
  t.teardown(() => stores.close());
  t.is(stores.log.lastIndex(), 4);
});

test('a log whose every entry is damaged opens empty, continuing after its compacted prefix', async (t) => {
  const dir = await tempDir(t, 'vxl-raft-store-');
  const before = openDurableStores(dir);
  before.log.append(run(1, 6, 1));
  before.log.compact(3);
  before.close();
  tamper(dir, 'log.sqlite', "UPDATE entries SET checksum = zeroblob(32)");
  const stores = openDurableStores(dir);
  t.teardown(() => stores.close());
  t.is(stores.log.firstIndex(), 4);
  t.is(stores.log.lastIndex(), 3);
});

test('a damaged entry followed by intact ones is corruption: open fails with IO_ERROR and repairs nothing', async (t) => {
  const dir = await logWith(t, 10);
  tamper(dir, 'log.sqlite', "UPDATE entries SET data = CAST('garbled' AS BLOB) WHERE idx = 5");
  throwsCode(t, () => openDurableStores(dir), 'IO_ERROR');
  throwsCode(t, () => openDurableStores(dir), 'IO_ERROR', 'the damage is still reported on the next open');
  t.is(countEntries(dir), 10, 'no entry was deleted');
});

test('an entry missing from the middle of the log is corruption (IO_ERROR)', async (t) => {
  const dir = await logWith(t, 10);
  tamper(dir, 'log.sqlite', 'DELETE FROM entries WHERE idx = 4');
  throwsCode(t, () => openDurableStores(dir), 'IO_ERROR');
});

test('an entry inside the compacted prefix is corruption (IO_ERROR)', async (t) => {
  const dir = await tempDir(t, 'vxl-raft-store-');
  const before = openDurableStores(dir);
  before.log.append(run(1, 6, 1));
  before.log.compact(3);
  before.close();
  tamper(dir, 'log.sqlite', "INSERT INTO entries (idx, term, type, data, checksum) VALUES (2, 1, 0, x'00', zeroblob(32))");
  throwsCode(t, () => openDurableStores(dir), 'IO_ERROR');
});

test('a log file that is not a database is IO_ERROR', async (t) => {
  const dir = await tempDir(t, 'vxl-raft-store-');
  writeFileSync(join(dir, 'log.sqlite'), Buffer.alloc(8192, 0x5a));
  throwsCode(t, () => openDurableStores(dir), 'IO_ERROR');
});

test('a log written by a newer format is refused with FAILED_PRECONDITION', async (t) => {
  const dir = await logWith(t, 2);
  tamper(dir, 'log.sqlite', 'PRAGMA user_version = 99');
  throwsCode(t, () => openDurableStores(dir), 'FAILED_PRECONDITION');
});

test('a hard state that fails its checksum is IO_ERROR, never returned', async (t) => {
  const dir = await tempDir(t, 'vxl-raft-store-');
  const before = openDurableStores(dir);
  before.hardState.save({ term: 5, vote: 'n1', commit: 9 });
  before.close();
  tamper(dir, 'hard-state.sqlite', 'UPDATE hard_state SET term = 6');
  const stores = openDurableStores(dir);
  t.teardown(() => stores.close());
  throwsCode(t, () => stores.hardState.load(), 'IO_ERROR');
});

test('a damaged snapshot file is IO_ERROR, never returned', async (t) => {
  const dir = await tempDir(t, 'vxl-raft-store-');
  const before = openDurableStores(dir);
  before.snapshots.save({ meta: { index: 7, term: 2, membership: { members: [] } }, data: new Uint8Array(4096).fill(3) });
  before.close();
  const file = join(dir, 'snapshot');
  const good = readFileSync(file);
  const damages: Array<[string, Buffer]> = [
    ['a flipped byte in the data', Buffer.from(good).fill(4, 100, 101)],
    ['a flipped byte in the metadata', Buffer.from(good).fill(0x20, 20, 21)],
    ['cut short', good.subarray(0, good.byteLength - 10)],
    ['empty', Buffer.alloc(0)],
    ['not a snapshot', Buffer.from('not a snapshot at all, but long enough to hold a header and a digest')],
  ];
  for (const [label, bytes] of damages) {
    writeFileSync(file, bytes);
    const stores = openDurableStores(dir);
    throwsCode(t, () => stores.snapshots.load(), 'IO_ERROR', label);
    stores.close();
  }
});

test('a temporary file left by a crashed snapshot save is ignored and removed', async (t) => {
  const dir = await tempDir(t, 'vxl-raft-store-');
  const saved = { meta: { index: 7, term: 2, membership: { members: [] } }, data: new Uint8Array([1, 2, 3]) };
  const before = openDurableStores(dir);
  before.snapshots.save(saved);
  before.close();
  writeFileSync(join(dir, 'snapshot.tmp'), 'half a snapsh');
  const stores = openDurableStores(dir);
  t.teardown(() => stores.close());
  t.deepEqual(stores.snapshots.load(), saved);
  t.false(existsSync(join(dir, 'snapshot.tmp')));
});

test("the driver's loadDurableState bootstraps a fresh directory once and finds the same state after a restart", async (t) => {
  const dir = await tempDir(t, 'vxl-raft-store-');
  const bootstrap = { members: [{ id: 'n1', voter: true, raftAddr: '127.0.0.1:7001', clusterAddr: '127.0.0.1:8001' }] };
  let stores = openDurableStores(dir);
  const first = loadDurableState(stores, bootstrap);
  t.is(first.entries.length, 1, 'the bootstrap configuration is entry 1');
  stores.close();
  stores = openDurableStores(dir);
  t.teardown(() => stores.close());
  t.deepEqual(loadDurableState(stores, bootstrap), first, 'a restarted node does not bootstrap again');
});
