/**
 * Contract suites for the storage seams. Each registers ava tests for one implementation;
 * the memory stores run them here, and a durable store runs the same suite from its own test
 * file (e.g. `logStoreContract('sqlite', factory)`), so both honour one contract.
 *
 * `reopen` models a process restart: a durable store closes and opens the same files; a
 * memory store returns the same object. Whatever a write call made durable must be there.
 */
import test from 'ava';
import type { LogEntry, Snapshot } from '../../../cluster/consensus/types.js';
import type { HardStateStore, LogStore, SnapshotStore } from '../../../cluster/storage/types.js';

export interface StoreFactory<S> {
  open(): S | Promise<S>;
  reopen(previous: S): S | Promise<S>;
}

function entry(index: number, term: number, type: LogEntry['type'] = 'command'): LogEntry {
  return { index, term, type, data: Uint8Array.from([0, index & 0xff, 255, term & 0xff, 0]) };
}

function run(from: number, to: number, term: number): LogEntry[] {
  const out: LogEntry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term));
  return out;
}

function plain(entries: LogEntry[]): unknown[] {
  return entries.map((e) => ({ ...e, data: [...e.data] }));
}

export function logStoreContract(name: string, factory: StoreFactory<LogStore>): void {
  test(`LogStore contract (${name}): a fresh log is empty`, async (t) => {
    const log = await factory.open();
    t.is(log.firstIndex(), 1);
    t.is(log.lastIndex(), 0);
    t.deepEqual(log.entries(1, 0), []);
    log.close();
  });

  test(`LogStore contract (${name}): appended entries read back identically, binary data included`, async (t) => {
    const log = await factory.open();
    const entries = [entry(1, 1, 'config'), entry(2, 1, 'noop'), ...run(3, 10, 2)];
    log.append(entries);
    t.is(log.lastIndex(), 10);
    t.deepEqual(plain(log.entries(1, 10)), plain(entries));
    t.deepEqual(plain(log.entries(4, 5)), plain(entries.slice(3, 5)));
    log.close();
  });

  test(`LogStore contract (${name}): appending at or below the last index replaces the suffix`, async (t) => {
    const log = await factory.open();
    log.append(run(1, 10, 1));
    log.append(run(6, 7, 3));
    t.is(log.lastIndex(), 7);
    t.deepEqual(log.entries(1, 7).map((e) => e.term), [1, 1, 1, 1, 1, 3, 3]);
    log.close();
  });

  test(`LogStore contract (${name}): gaps and reads outside the log are RangeErrors`, async (t) => {
    const log = await factory.open();
    log.append(run(1, 3, 1));
    t.throws(() => log.append(run(5, 6, 1)), { instanceOf: RangeError });
    t.throws(() => log.entries(2, 4), { instanceOf: RangeError });
    t.throws(() => log.entries(0, 1), { instanceOf: RangeError });
    log.close();
  });

  test(`LogStore contract (${name}): compaction moves the first index, even past the last entry`, async (t) => {
    const log = await factory.open();
    log.append(run(1, 10, 1));
    log.compact(4);
    t.is(log.firstIndex(), 5);
    t.is(log.lastIndex(), 10);
    t.throws(() => log.entries(4, 5), { instanceOf: RangeError });
    t.deepEqual(log.entries(5, 5).map((e) => e.index), [5]);
    log.compact(20);
    t.is(log.firstIndex(), 21);
    t.is(log.lastIndex(), 20);
    log.append(run(21, 22, 2));
    t.is(log.lastIndex(), 22);
    log.close();
  });

  test(`LogStore contract (${name}): reset empties the log to start after an index`, async (t) => {
    const log = await factory.open();
    log.append(run(1, 10, 1));
    log.reset(50);
    t.is(log.firstIndex(), 51);
    t.is(log.lastIndex(), 50);
    log.append(run(51, 51, 4));
    t.deepEqual(log.entries(51, 51).map((e) => e.term), [4]);
    log.close();
  });

  test(`LogStore contract (${name}): appends, truncations and resets survive a restart`, async (t) => {
    let log = await factory.open();
    log.append(run(1, 10, 1));
    log.append(run(8, 9, 2));
    log = await factory.reopen(log);
    t.is(log.lastIndex(), 9);
    t.deepEqual(log.entries(7, 9).map((e) => e.term), [1, 2, 2]);
    log.reset(30);
    log = await factory.reopen(log);
    t.is(log.firstIndex(), 31);
    t.is(log.lastIndex(), 30);
    log.close();
  });
}

export function hardStateStoreContract(name: string, factory: StoreFactory<HardStateStore>): void {
  test(`HardStateStore contract (${name}): nothing saved loads as null; saves replace and survive a restart`, async (t) => {
    let store = await factory.open();
    t.is(store.load(), null);
    store.save({ term: 3, vote: 'n2', commit: 7 });
    store.save({ term: 4, vote: null, commit: 9 });
    t.deepEqual(store.load(), { term: 4, vote: null, commit: 9 });
    store = await factory.reopen(store);
    t.deepEqual(store.load(), { term: 4, vote: null, commit: 9 });
    store.close();
  });
}

export function snapshotStoreContract(name: string, factory: StoreFactory<SnapshotStore>): void {
  test(`SnapshotStore contract (${name}): the latest snapshot round-trips and survives a restart`, async (t) => {
    let store = await factory.open();
    t.is(store.load(), null);
    const membership = { members: [{ id: 'n1', voter: true, raftAddr: '127.0.0.1:5001', clusterAddr: '127.0.0.1:5002' }] };
    const older: Snapshot = { meta: { index: 10, term: 2, membership }, data: Uint8Array.from([1, 2, 3]) };
    const newer: Snapshot = { meta: { index: 20, term: 3, membership }, data: Uint8Array.from([0, 255, 0, 7]) };
    store.save(older);
    store.save(newer);
    const check = (s: Snapshot | null) => {
      t.deepEqual(s?.meta, newer.meta);
      t.deepEqual([...(s?.data ?? [])], [...newer.data]);
    };
    check(store.load());
    store = await factory.reopen(store);
    check(store.load());
    store.close();
  });
}
