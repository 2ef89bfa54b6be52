import test from 'ava';
import { NotLeaderError } from '../../cluster/consensus/errors.js';
import { TestNet, TEST_CONFIG } from './harness.js';

const ABC = ['a', 'b', 'c'];

test('dissertation §3.10 leadership transfer: a caught-up target gets TimeoutNow and wins the next term at once', (t) => {
  const net = new TestNet(ABC);
  net.elect('a');
  net.heartbeat('a');
  const term = net.node('a').status().term;
  net.node('a').transferLeadership('b');
  net.collect('a');
  t.true(net.queue.some((m) => m.type === 'TimeoutNow' && m.to === 'b'));
  net.deliverAll();
  t.is(net.node('b').status().role, 'leader');
  t.is(net.node('b').status().term, term + 1);
  t.is(net.node('a').status().role, 'follower');
});

test('dissertation §3.10 leadership transfer: without a target (graceful shutdown) the most up-to-date voter is chosen', (t) => {
  const net = new TestNet(ABC);
  net.elect('a');
  net.heartbeat('a');
  net.isolate('b');
  net.propose('a', 'x');
  net.deliverAll();
  net.heal();
  net.node('a').transferLeadership();
  net.collect('a');
  net.deliverAll();
  t.is(net.node('c').status().role, 'leader', 'c had every entry, b lagged');
});

test('dissertation §3.10 leadership transfer: voters in a leader lease still vote for the transferee', (t) => {
  const net = new TestNet(ABC);
  net.elect('a');
  net.heartbeat('a');
  t.is(net.node('c').status().leaderId, 'a', 'c just heard from the leader');
  net.node('a').transferLeadership('b');
  net.collect('a');
  net.deliverAll();
  t.is(net.node('c').status().leaderId, 'b');
});

test('dissertation §3.10 leadership transfer: a lagging target is brought up to date first', (t) => {
  const net = new TestNet(ABC);
  net.elect('a');
  net.heartbeat('a');
  net.isolate('b');
  net.propose('a', 'x');
  net.deliverAll();
  net.heartbeat('a');
  net.node('a').transferLeadership('b');
  net.collect('a');
  t.false(net.queue.some((m) => m.type === 'TimeoutNow'), 'no TimeoutNow while b lags');
  net.heal();
  net.heartbeat('a');
  t.is(net.node('b').status().role, 'leader');
  t.deepEqual(net.appliedTexts('b'), ['x']);
});

test('dissertation §3.10 leadership transfer: proposals are refused while it runs, and accepted again if it times out', (t) => {
  const net = new TestNet(ABC);
  net.elect('a');
  net.heartbeat('a');
  net.isolate('b');
  const a = net.node('a');
  a.transferLeadership('b');
  const error = t.throws(() => a.propose(new TextEncoder().encode('x')), { instanceOf: NotLeaderError });
  t.is(error?.leaderId, 'b');
  net.heal();
  net.disconnect('a', 'b');
  for (let i = 0; i < TEST_CONFIG.electionTicks; i++) net.heartbeat('a');
  t.is(a.status().role, 'leader');
  t.is(a.status().leadTransferee, null);
  t.notThrows(() => a.propose(new TextEncoder().encode('y')));
});
