import test from 'ava';
import { NotLeaderError } from '../../cluster/consensus/errors.js';
import { TestNet } from './harness.js';

const ABC = ['a', 'b', 'c'];

test('§6.4 ReadIndex: the leader answers with its commit index only after a quorum confirms its leadership', (t) => {
  const net = new TestNet(ABC);
  net.elect('a');
  net.propose('a', 'x');
  net.deliverAll();
  net.heartbeat('a');
  const a = net.node('a');
  const commit = a.status().commit;
  a.readIndex(1);
  net.collect('a');
  t.deepEqual(net.readStates.get('a'), [], 'not before the heartbeat round');
  const beats = net.queue.filter((m) => m.type === 'Heartbeat');
  t.true(beats.length >= 2 && beats.every((m) => m.type === 'Heartbeat' && m.readContext === 1));
  net.deliverAll();
  t.deepEqual(net.readStates.get('a'), [{ requestId: 1, index: commit }]);
});

test('§6.4 ReadIndex: a new leader waits until it has committed an entry of its term', (t) => {
  const net = new TestNet(ABC);
  net.tick('a', 20);
  net.deliverAll((m) => m.type !== 'AppendEntries');
  const a = net.node('a');
  t.is(a.status().role, 'leader');
  a.readIndex(1);
  net.collect('a');
  net.deliverAll((m) => m.type !== 'AppendEntries');
  t.deepEqual(net.readStates.get('a'), [], 'its no-op is not committed yet');
  net.heartbeat('a');
  net.heartbeat('a');
  const states = net.readStates.get('a')!;
  t.is(states.length, 1);
  t.true(states[0].index >= 2, 'the read index covers the no-op');
});

test('§6.4 ReadIndex: a leader cut off from the majority never confirms a read', (t) => {
  const net = new TestNet(ABC, { a: { config: { checkQuorum: false } } });
  net.elect('a');
  net.heartbeat('a');
  net.isolate('a');
  net.node('a').readIndex(1);
  for (let i = 0; i < 30; i++) net.heartbeat('a');
  t.deepEqual(net.readStates.get('a'), []);
});

test('§6.4 ReadIndex: a heartbeat answer confirms only reads registered before that heartbeat was sent', (t) => {
  const net = new TestNet(ABC);
  net.elect('a');
  net.heartbeat('a');
  const a = net.node('a');
  a.readIndex(1);
  net.collect('a');
  const early = net.queue.splice(0);
  a.readIndex(2);
  net.collect('a');
  net.queue = [];
  net.queue.push(...early);
  net.deliverAll();
  t.deepEqual(net.readStates.get('a')!.map((r) => r.requestId), [1], 'answers to heartbeats sent for read 1 cannot confirm read 2');
  net.heartbeat('a');
  t.deepEqual(net.readStates.get('a')!.map((r) => r.requestId), [1, 2]);
});

test('§6.4 ReadIndex: a follower refuses with the leader it knows', (t) => {
  const net = new TestNet(ABC);
  net.elect('a');
  net.heartbeat('a');
  const error = t.throws(() => net.node('b').readIndex(1), { instanceOf: NotLeaderError });
  t.is(error?.leaderId, 'a');
  t.is(error?.code, 'FAILED_PRECONDITION');
});

test('§6.4 ReadIndex: a single-voter leader confirms at once', (t) => {
  const net = new TestNet(['a']);
  net.elect('a');
  net.node('a').readIndex(1);
  net.collect('a');
  t.is(net.readStates.get('a')!.length, 1);
});
