import test from 'ava';
import { voterIds } from '../../cluster/consensus/membership.js';
import { TestNet } from './harness.js';

const ABC = ['a', 'b', 'c'];

function ids(net: TestNet, id: string): string[] {
  return net.node(id).status().membership.members.map((m) => `${m.id}${m.voter ? '' : '(learner)'}`);
}

function settle(net: TestNet, leader: string, rounds = 6): void {
  for (let i = 0; i < rounds; i++) net.heartbeat(leader);
}

test('§6 (dissertation §4.1) a new server joins as a learner and the configuration takes effect when appended', (t) => {
  const net = new TestNet(ABC, { d: { entries: [] } });
  net.elect('a');
  settle(net, 'a');
  const a = net.node('a');
  a.proposeConfigChange({ type: 'add-learner', member: { id: 'd', raftAddr: 'd', clusterAddr: 'd' } });
  t.deepEqual(ids(net, 'a'), ['a', 'b', 'c', 'd(learner)'], 'in effect on the leader before it commits');
  net.collect('a');
  net.deliverAll();
  settle(net, 'a');
  t.is(net.node('d').status().lastIndex, a.status().lastIndex, 'the learner received the whole log');
});

test('§6 (dissertation §4.1) a learner does not count toward commitment, and is promoted to voter once caught up', (t) => {
  const net = new TestNet(ABC, { d: { entries: [] } });
  net.elect('a');
  settle(net, 'a');
  net.node('a').proposeConfigChange({ type: 'add-learner', member: { id: 'd', raftAddr: 'd', clusterAddr: 'd' } });
  net.collect('a');
  // With b and c unreachable, the leader and the learner are no majority of {a, b, c}.
  net.isolate('b');
  net.isolate('c');
  net.deliverAll();
  net.propose('a', 'x');
  net.deliverAll();
  net.tick('a');
  net.deliverAll();
  t.true(net.node('a').status().commit < net.node('a').status().lastIndex, 'nothing commits with only a learner');
  net.heal();
  settle(net, 'a');
  t.deepEqual(voterIds(net.node('a').status().membership), ['a', 'b', 'c', 'd'], 'promoted after catching up');
  t.deepEqual(net.appliedTexts('d'), ['x']);
});

test('§6 (dissertation §4.1) only one membership change at a time, and only after the leader committed in its term', (t) => {
  const net = new TestNet(ABC, { d: { entries: [] }, e: { entries: [] } });
  net.elect('a');
  const a = net.node('a');
  const fresh = new TestNet(ABC);
  fresh.tick('a', 20);
  fresh.deliverAll((m) => m.type !== 'AppendEntries');
  t.is(fresh.node('a').status().role, 'leader');
  t.throws(() => fresh.node('a').proposeConfigChange({ type: 'remove', id: 'c' }), { message: /not committed an entry of its term/ });
  settle(net, 'a');
  a.proposeConfigChange({ type: 'add-learner', member: { id: 'd', raftAddr: 'd', clusterAddr: 'd' } });
  t.throws(() => a.proposeConfigChange({ type: 'add-learner', member: { id: 'e', raftAddr: 'e', clusterAddr: 'e' } }), { message: /in progress/ });
  t.throws(() => net.node('b').proposeConfigChange({ type: 'remove', id: 'c' }), { code: 'FAILED_PRECONDITION' });
});

test('§6 (dissertation §4.1) a follower uses a configuration as soon as it appends it, and reverts if the entry is truncated', (t) => {
  const five = ['a', 'b', 'c', 'd', 'e'];
  const noLease = { config: { checkQuorum: false } };
  const net = new TestNet(five, { a: noLease, b: noLease, c: noLease, d: noLease, e: noLease });
  net.elect('a');
  settle(net, 'a');
  const b = net.node('b');
  // The removal of e reaches b only, and is not committed.
  net.node('a').proposeConfigChange({ type: 'remove', id: 'e' });
  net.collect('a');
  net.deliverAll((m) => m.type !== 'AppendEntries' || m.to === 'b');
  t.deepEqual(ids(net, 'b'), ['a', 'b', 'c', 'd'], 'in effect on b before commit');
  // a disappears; c wins with d and e, and its log, without the removal, overwrites b's.
  net.isolate('a');
  net.queue = [];
  net.elect('c');
  t.is(net.node('c').status().role, 'leader');
  settle(net, 'c');
  t.deepEqual(ids(net, 'b'), five, 'the truncated config entry no longer applies');
  t.is(b.status().leaderId, 'c');
});

test('§6 removing a follower: it stops counting, and the rest commit without it', (t) => {
  const net = new TestNet(ABC);
  net.elect('a');
  settle(net, 'a');
  net.node('a').proposeConfigChange({ type: 'remove', id: 'c' });
  net.collect('a');
  net.deliverAll();
  settle(net, 'a');
  t.deepEqual(ids(net, 'a'), ['a', 'b']);
  net.isolate('c');
  net.propose('a', 'after');
  net.deliverAll();
  settle(net, 'a');
  t.deepEqual(net.appliedTexts('b'), ['after']);
});

test('§6 (dissertation §4.2.2) removing the leader: it commits the change without counting itself, then steps down and hands off', (t) => {
  const net = new TestNet(ABC);
  net.elect('a');
  settle(net, 'a');
  const a = net.node('a');
  a.proposeConfigChange({ type: 'remove', id: 'a' });
  net.collect('a');
  net.deliverAll();
  settle(net, 'a', 2);
  t.is(a.status().role, 'follower', 'stepped down once the removal committed');
  const timeoutNow = net.sent.filter((m) => m.type === 'TimeoutNow' && m.from === 'a');
  t.is(timeoutNow.length, 1, 'handed leadership to a caught-up voter');
  const leaders = ['b', 'c'].filter((id) => net.node(id).status().role === 'leader');
  t.is(leaders.length, 1, 'one of the remaining voters took over at once');
  net.tick('a', 100);
  net.deliverAll();
  t.is(a.status().role, 'follower', 'a removed server never campaigns');
});
