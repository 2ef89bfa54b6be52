import test from 'ava';
import type { InstallSnapshot, InstallSnapshotResponse, Snapshot } from '../../cluster/consensus/types.js';
import { logWithTerms, membership, TestNet } from './harness.js';

const ABC = ['a', 'b', 'c'];

function snapshotOf(net: TestNet, id: string, index: number): Snapshot {
  const raft = net.node(id);
  return { meta: { index, term: raft.termAt(index)!, membership: raft.status().membership }, data: new TextEncoder().encode(`state@${index}`) };
}

test('§7 log compaction: a node drops its log up to a snapshot of applied state', (t) => {
  const net = new TestNet(ABC);
  net.elect('a');
  for (let i = 0; i < 5; i++) net.propose('a', `w${i}`);
  net.deliverAll();
  net.heartbeat('a');
  const a = net.node('a');
  const applied = a.status().applied;
  const ahead: Snapshot = { meta: { index: applied + 1, term: 2, membership: membership(ABC) }, data: new Uint8Array() };
  t.throws(() => a.compact(ahead, applied), { instanceOf: RangeError }, 'never beyond the applied index');
  a.compact(snapshotOf(net, 'a', 6), 6);
  t.is(a.status().firstIndex, 7);
  t.is(a.termAt(6), 2, 'the last compacted term is kept for the consistency check');
  t.is(a.entryAt(5), undefined);
});

test('§7 InstallSnapshot: a follower behind the compacted log receives the snapshot and continues from it', (t) => {
  const net = new TestNet(ABC);
  net.elect('a');
  net.isolate('c');
  for (let i = 0; i < 5; i++) net.propose('a', `w${i}`);
  net.deliverAll();
  net.heartbeat('a');
  const a = net.node('a');
  a.compact(snapshotOf(net, 'a', 7), 7);
  net.heal();
  net.sent = [];
  net.heartbeat('a');
  net.heartbeat('a');
  const snaps = net.sent.filter((m): m is InstallSnapshot => m.type === 'InstallSnapshot');
  t.is(snaps.length, 1);
  t.is(snaps[0].to, 'c');
  const c = net.node('c');
  t.is(c.status().commit, a.status().commit);
  t.is(c.status().firstIndex, 8, 'c’s log restarts after the snapshot');
  net.propose('a', 'after');
  net.deliverAll();
  net.heartbeat('a');
  t.deepEqual(net.appliedTexts('c'), ['after'], 'entries after the snapshot are applied normally');
});

test('§7 InstallSnapshot: the follower hands the snapshot to the driver (persist, restore) with its membership', (t) => {
  const net = new TestNet(ABC, { d: { entries: [] } });
  const d = net.node('d');
  const snapshot: Snapshot = { meta: { index: 10, term: 3, membership: membership(ABC, ['d']) }, data: new Uint8Array([1, 2, 3]) };
  d.step({ type: 'InstallSnapshot', from: 'a', to: 'd', term: 3, snapshot });
  const rd = d.ready();
  t.is(rd.snapshot, snapshot);
  t.deepEqual(rd.membership, snapshot.meta.membership);
  t.is(rd.committedEntries.length, 0, 'entries covered by the snapshot are never applied');
  const reply = rd.messages[0] as InstallSnapshotResponse;
  t.is(reply.matchIndex, 10);
  d.advance(rd);
  t.is(d.status().applied, 10);
  t.is(d.status().lastIndex, 10);
});

test('§7 InstallSnapshot: a snapshot of a prefix the follower already holds keeps the entries after it', (t) => {
  const net = new TestNet(ABC, { b: { entries: logWithTerms(ABC, [2, 2, 2, 2]), hardState: { term: 2, vote: null, commit: 1 } } });
  const b = net.node('b');
  const snapshot: Snapshot = { meta: { index: 3, term: 2, membership: membership(ABC) }, data: new Uint8Array() };
  b.step({ type: 'InstallSnapshot', from: 'a', to: 'b', term: 2, snapshot });
  const rd = b.ready();
  t.is(rd.snapshot, null, 'nothing to restore: the log already holds it');
  t.is(b.status().lastIndex, 5);
  t.is(b.status().commit, 3);
});

test('§7 InstallSnapshot: a stale snapshot (at or below the commit index) is ignored', (t) => {
  const net = new TestNet(ABC, { b: { entries: logWithTerms(ABC, [2, 2, 2, 2]), hardState: { term: 2, vote: null, commit: 4 } } });
  const b = net.node('b');
  b.step({ type: 'InstallSnapshot', from: 'a', to: 'b', term: 2, snapshot: { meta: { index: 3, term: 2, membership: membership(ABC) }, data: new Uint8Array() } });
  const rd = b.ready();
  t.is(rd.snapshot, null);
  t.is((rd.messages[0] as InstallSnapshotResponse).matchIndex, 4);
});

test('§7 InstallSnapshot: a lost snapshot is sent again after an election timeout', (t) => {
  const net = new TestNet(ABC);
  net.elect('a');
  net.isolate('c');
  net.propose('a', 'w');
  net.deliverAll();
  net.heartbeat('a');
  const a = net.node('a');
  a.compact(snapshotOf(net, 'a', 3), 3);
  net.heal();
  net.sent = [];
  let lose = true;
  const loseFirstSnapshot = (m: { type: string }): boolean => {
    if (m.type !== 'InstallSnapshot' || !lose) return true;
    lose = false;
    return false;
  };
  for (let i = 0; i < 15; i++) {
    net.tick('a');
    net.deliverAll(loseFirstSnapshot);
  }
  t.is(net.sent.filter((m) => m.type === 'InstallSnapshot').length, 2, 'sent, lost, sent again — not more');
  t.is(net.node('c').status().commit, a.status().commit);
});
