/**
 * The contract of the storage seams (cluster/storage/types.ts), one test per rule, registered
 * for any implementation: the memory stores and the durable stores both run it.
 */
import test, { type ExecutionContext } from 'ava';
import type { RaftStores } from '../../cluster/consensus/driver.js';
import type { EntryType, LogEntry, Snapshot } from '../../cluster/consensus/types.js';

/** One node's disk: stores opened from it see what stores opened from it before wrote. */
export interface StorageUnderTest {
  /** Opens the node's stores; the ones opened before (if any) are closed first, as on a restart. */
  open(): RaftStores;
}

export type NewStorage = (t: ExecutionContext) => Promise<StorageUnderTest>;

const encoder = new TextEncoder();

/** An entry whose data names its index and term, so a mixed-up entry cannot pass for another. */
export function entry(index: number, term: number, type: EntryType = 'command'): LogEntry {
  return { index, term, type, data: encoder.encode(`entry ${index} of term ${term}`) };
}

export function run(from: number, to: number, term: number): LogEntry[] {
  return Array.from({ length: to - from + 1 }, (_, i) => entry(from + i, term));
}

function snapshot(index: number, term: number, bytes: number): Snapshot {
  return {
    meta: {
      index,
      term,
      membership: {
        members: [
          { id: 'n1', voter: true, raftAddr: '127.0.0.1:7001', clusterAddr: '127.0.0.1:8001' },
          { id: 'n2', voter: false, raftAddr: '127.0.0.1:7002', clusterAddr: '127.0.0.1:8002' },
        ],
      },
    },
    data: Uint8Array.from({ length: bytes }, (_, i) => (i * 7 + index) % 256),
  };
}

const isRangeError = { instanceOf: RangeError };

export function storageContract(name: string, newStorage: NewStorage): void {
  const it = (title: string, body: (t: ExecutionContext, disk: StorageUnderTest) => void) =>
    test(`${name}: ${title}`, async (t) => body(t, await newStorage(t)));

  // ---- LogStore ----

  it('a fresh log is empty: firstIndex 1, lastIndex 0', (t, disk) => {
    const { log } = disk.open();
    t.is(log.firstIndex(), 1);
    t.is(log.lastIndex(), 0);
    t.deepEqual(log.entries(1, 0), []);
  });

  it('appended entries read back in order; first and last index follow the appends', (t, disk) => {
    const { log } = disk.open();
    log.append([entry(1, 1, 'config'), entry(2, 1, 'noop'), entry(3, 1)]);
    t.is(log.lastIndex(), 3);
    log.append(run(4, 6, 2));
    t.is(log.firstIndex(), 1);
    t.is(log.lastIndex(), 6);
    t.deepEqual(log.entries(1, 6), [entry(1, 1, 'config'), entry(2, 1, 'noop'), entry(3, 1), ...run(4, 6, 2)]);
    t.deepEqual(log.entries(3, 4), [entry(3, 1), entry(4, 2)]);
    t.deepEqual(log.entries(5, 4), [], 'an empty range reads nothing');
  });

  it('append keeps its own copy of the data', (t, disk) => {
    const { log } = disk.open();
    const e = entry(1, 1);
    log.append([e]);
    e.data.fill(0);
    t.deepEqual(log.entries(1, 1), [entry(1, 1)]);
  });

  it('an append starting at or below lastIndex first deletes the conflicting suffix', (t, disk) => {
    const { log } = disk.open();
    log.append(run(1, 5, 1));
    log.append(run(3, 4, 2));
    t.is(log.lastIndex(), 4, 'entry 5 went with the suffix');
    t.deepEqual(log.entries(1, 4), [...run(1, 2, 1), ...run(3, 4, 2)]);
    log.append([entry(4, 3)]);
    t.deepEqual(log.entries(1, 4), [...run(1, 2, 1), entry(3, 2), entry(4, 3)], 'an append at lastIndex replaces just the last entry');
    log.append(run(2, 7, 4));
    t.deepEqual(log.entries(1, 7), [entry(1, 1), ...run(2, 7, 4)], 'an overlapping append may also extend the log');
  });

  it('an append that would leave a gap is refused with RangeError and changes nothing', (t, disk) => {
    const { log } = disk.open();
    t.throws(() => log.append([entry(2, 1)]), isRangeError, 'a fresh log starts at 1');
    log.append(run(1, 3, 1));
    t.throws(() => log.append(run(5, 6, 1)), isRangeError);
    t.is(log.lastIndex(), 3);
    t.deepEqual(log.entries(1, 3), run(1, 3, 1));
  });

  it('a batch that is not contiguous is refused with RangeError and deletes no suffix', (t, disk) => {
    const { log } = disk.open();
    log.append(run(1, 5, 1));
    t.throws(() => log.append([entry(3, 2), entry(5, 2)]), isRangeError);
    t.throws(() => log.append([entry(6, 2), entry(6, 2)]), isRangeError);
    t.is(log.lastIndex(), 5);
    t.deepEqual(log.entries(1, 5), run(1, 5, 1));
  });

  it('an empty append changes nothing', (t, disk) => {
    const { log } = disk.open();
    log.append(run(1, 2, 1));
    log.append([]);
    t.is(log.lastIndex(), 2);
    t.deepEqual(log.entries(1, 2), run(1, 2, 1));
  });

  it('entries outside [firstIndex, lastIndex] throw RangeError', (t, disk) => {
    const { log } = disk.open();
    t.throws(() => log.entries(1, 1), isRangeError, 'an empty log holds nothing');
    log.append(run(1, 5, 1));
    t.throws(() => log.entries(0, 2), isRangeError);
    t.throws(() => log.entries(4, 6), isRangeError);
    t.throws(() => log.entries(6, 6), isRangeError);
    log.compact(2);
    t.throws(() => log.entries(2, 3), isRangeError, 'compacted entries are gone');
    t.deepEqual(log.entries(3, 5), run(3, 5, 1));
  });

  it('compact discards entries up to the index; firstIndex becomes index + 1', (t, disk) => {
    const { log } = disk.open();
    log.append(run(1, 10, 1));
    log.compact(4);
    t.is(log.firstIndex(), 5);
    t.is(log.lastIndex(), 10);
    t.deepEqual(log.entries(5, 10), run(5, 10, 1));
    log.compact(3);
    t.is(log.firstIndex(), 5, 'compacting to an index already discarded changes nothing');
    log.compact(10);
    t.is(log.firstIndex(), 11);
    t.is(log.lastIndex(), 10, 'compacting every entry leaves an empty log');
  });

  it('compact beyond the held entries leaves an empty log that continues after the index', (t, disk) => {
    const { log } = disk.open();
    log.append(run(1, 5, 1));
    log.compact(8);
    t.is(log.firstIndex(), 9);
    t.is(log.lastIndex(), 8);
    t.deepEqual(log.entries(9, 8), []);
    t.throws(() => log.append([entry(10, 2)]), isRangeError, 'the next entry is 9');
    log.append([entry(9, 2)]);
    t.deepEqual(log.entries(9, 9), [entry(9, 2)]);
  });

  it('an append into the compacted prefix is refused with RangeError', (t, disk) => {
    const { log } = disk.open();
    log.append(run(1, 10, 1));
    log.compact(4);
    t.throws(() => log.append(run(4, 6, 2)), isRangeError);
    t.deepEqual(log.entries(5, 10), run(5, 10, 1), 'nothing was deleted');
    log.append(run(5, 6, 2));
    t.is(log.lastIndex(), 6, 'an append right after the compacted prefix may still truncate');
  });

  it('reset deletes every entry and starts the log after the index', (t, disk) => {
    const { log } = disk.open();
    log.append(run(1, 10, 1));
    log.reset(20);
    t.is(log.firstIndex(), 21);
    t.is(log.lastIndex(), 20);
    t.throws(() => log.entries(10, 10), isRangeError);
    log.append([entry(21, 3)]);
    t.deepEqual(log.entries(21, 21), [entry(21, 3)]);
    log.reset(3);
    t.is(log.firstIndex(), 4, 'a reset may also move the start back');
    t.is(log.lastIndex(), 3);
    log.append([entry(4, 4)]);
    t.deepEqual(log.entries(4, 4), [entry(4, 4)]);
  });

  // ---- HardStateStore ----

  it('a fresh hard state store loads null', (t, disk) => {
    t.is(disk.open().hardState.load(), null);
  });

  it('save replaces the hard state; load returns the last one saved', (t, disk) => {
    const { hardState } = disk.open();
    hardState.save({ term: 1, vote: null, commit: 0 });
    t.deepEqual(hardState.load(), { term: 1, vote: null, commit: 0 });
    hardState.save({ term: 7, vote: 'node-2', commit: 41 });
    t.deepEqual(hardState.load(), { term: 7, vote: 'node-2', commit: 41 });
  });

  // ---- SnapshotStore ----

  it('a fresh snapshot store loads null', (t, disk) => {
    t.is(disk.open().snapshots.load(), null);
  });

  it('a saved snapshot loads back whole: index, term, membership and data', (t, disk) => {
    const { snapshots } = disk.open();
    snapshots.save(snapshot(12, 3, 5000));
    t.deepEqual(snapshots.load(), snapshot(12, 3, 5000));
    snapshots.save(snapshot(13, 3, 0));
    t.deepEqual(snapshots.load(), snapshot(13, 3, 0), 'empty data is data too');
  });

  it('the latest saved snapshot wins', (t, disk) => {
    const { snapshots } = disk.open();
    snapshots.save(snapshot(5, 1, 100));
    snapshots.save(snapshot(9, 2, 200));
    t.deepEqual(snapshots.load(), snapshot(9, 2, 200));
  });

  it('save keeps its own copy of the snapshot', (t, disk) => {
    const { snapshots } = disk.open();
    const s = snapshot(5, 1, 100);
    snapshots.save(s);
    s.data.fill(0);
    s.meta.membership.members.pop();
    t.deepEqual(snapshots.load(), snapshot(5, 1, 100));
  });

  // ---- restart ----

  it('after a restart the log holds exactly what was appended, truncated and reset', (t, disk) => {
    let { log } = disk.open();
    log.append(run(1, 8, 1));
    log.append(run(6, 7, 2));
    ({ log } = disk.open());
    t.is(log.firstIndex(), 1);
    t.is(log.lastIndex(), 7);
    t.deepEqual(log.entries(1, 7), [...run(1, 5, 1), ...run(6, 7, 2)]);
    log.reset(30);
    ({ log } = disk.open());
    t.is(log.firstIndex(), 31, 'reset is durable on return');
    t.is(log.lastIndex(), 30);
    log.append([entry(31, 3)]);
    t.deepEqual(disk.open().log.entries(31, 31), [entry(31, 3)]);
  });

  it('after a restart a compacted log still reads every entry it kept', (t, disk) => {
    let { log } = disk.open();
    log.append(run(1, 10, 1));
    log.compact(4);
    ({ log } = disk.open());
    // compact need not be durable: the start may fall back, but no kept entry may be lost.
    t.true(log.firstIndex() <= 5);
    t.is(log.lastIndex(), 10);
    t.deepEqual(log.entries(5, 10), run(5, 10, 1));
  });

  it('after a restart the hard state and the latest snapshot are back', (t, disk) => {
    const first = disk.open();
    first.hardState.save({ term: 4, vote: 'node-3', commit: 17 });
    first.snapshots.save(snapshot(6, 2, 300));
    first.snapshots.save(snapshot(15, 4, 700));
    const second = disk.open();
    t.deepEqual(second.hardState.load(), { term: 4, vote: 'node-3', commit: 17 });
    t.deepEqual(second.snapshots.load(), snapshot(15, 4, 700));
  });

  it('close is idempotent', (t, disk) => {
    const { log, hardState, snapshots } = disk.open();
    for (const store of [log, hardState, snapshots]) {
      store.close();
      t.notThrows(() => store.close());
    }
  });
}
