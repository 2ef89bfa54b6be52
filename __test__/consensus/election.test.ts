import test from 'ava';
import type { RequestVote, RequestVoteResponse } from '../../cluster/consensus/types.js';
import { logWithTerms, TestNet, TEST_CONFIG } from './harness.js';

const ABC = ['a', 'b', 'c'];

test('§5.2 election: a follower that hears no leader for an election timeout becomes candidate and wins with a majority', (t) => {
  const net = new TestNet(ABC);
  const a = net.node('a');
  t.is(a.status().role, 'follower');
  net.tick('a', TEST_CONFIG.electionTicks - 1);
  t.is(a.status().role, 'follower', 'no election before the minimum timeout');
  net.elect('a');
  t.is(a.status().role, 'leader');
  t.is(a.status().term, 2, 'one term past the bootstrap term');
  t.is(net.node('b').status().leaderId, 'a');
  t.is(net.node('c').status().vote, 'a');
});

test('§5.2 election: election timeouts are randomized within [T, 2T)', (t) => {
  const seen = new Set<number>();
  for (let seed = 1; seed <= 40; seed++) {
    const net = new TestNet(ABC, {}, seed);
    let ticks = 0;
    while (net.node('a').status().role === 'follower') {
      net.tick('a');
      ticks++;
    }
    t.true(ticks >= TEST_CONFIG.electionTicks && ticks < 2 * TEST_CONFIG.electionTicks);
    seen.add(ticks);
  }
  t.true(seen.size > 3, 'timeouts differ between nodes');
});

test('§5.2 election: each server votes for at most one candidate per term, and the vote is in the hard state', (t) => {
  const net = new TestNet(ABC, {}, 1);
  const c = net.node('c');
  const ask = (from: string): RequestVote => ({ type: 'RequestVote', from, to: 'c', term: 5, preVote: false, lastLogIndex: 1, lastLogTerm: 1, transfer: false });
  c.step(ask('a'));
  c.step(ask('b'));
  const rd = c.ready();
  const replies = rd.messages.filter((m): m is RequestVoteResponse => m.type === 'RequestVoteResponse');
  t.deepEqual(
    replies.map((r) => [r.to, r.granted]),
    [
      ['a', true],
      ['b', false],
    ],
  );
  t.deepEqual(rd.hardState, { term: 5, vote: 'a', commit: 0 }, 'term and vote must be persisted before the reply is sent');
});

test('§5.2 election: a candidate that receives AppendEntries from a leader of its term becomes follower', (t) => {
  const net = new TestNet(ABC, { a: { config: { preVote: false } } });
  net.tick('a', 2 * TEST_CONFIG.electionTicks);
  const a = net.node('a');
  t.is(a.status().role, 'candidate');
  const term = a.status().term;
  a.step({ type: 'AppendEntries', from: 'b', to: 'a', term, prevLogIndex: 1, prevLogTerm: 1, entries: [], leaderCommit: 0 });
  t.is(a.status().role, 'follower');
  t.is(a.status().leaderId, 'b');
});

test('§5.2 election: a leader that sees a higher term steps down', (t) => {
  const net = new TestNet(ABC);
  net.elect('a');
  const a = net.node('a');
  a.step({ type: 'AppendEntriesResponse', from: 'b', to: 'a', term: 9, success: false, matchIndex: 0, conflictTerm: 0, conflictIndex: 0 });
  t.is(a.status().role, 'follower');
  t.is(a.status().term, 9);
});

test('§5.4.1 election restriction: a voter denies its vote to a candidate whose log is less up to date', (t) => {
  // b and c hold an entry of term 2 that a lacks.
  const net = new TestNet(ABC, {
    a: { entries: logWithTerms(ABC, []), hardState: { term: 2, vote: null, commit: 1 } },
    b: { entries: logWithTerms(ABC, [2]), hardState: { term: 2, vote: null, commit: 1 } },
    c: { entries: logWithTerms(ABC, [2]), hardState: { term: 2, vote: null, commit: 1 } },
  });
  net.elect('a');
  t.not(net.node('a').status().role, 'leader');
  const denials = net.sent.filter((m) => m.type === 'RequestVoteResponse' && m.to === 'a' && !m.granted);
  t.true(denials.length >= 2);
  // The up-to-date b can win.
  net.elect('b');
  t.is(net.node('b').status().role, 'leader');
});

test('§5.4.1 election restriction: a longer log of an older last term is less up to date', (t) => {
  const net = new TestNet(ABC, {
    a: { entries: logWithTerms(ABC, [2, 2, 2]), hardState: { term: 3, vote: null, commit: 1 } },
    b: { entries: logWithTerms(ABC, [3]), hardState: { term: 3, vote: null, commit: 1 } },
    c: { entries: logWithTerms(ABC, [3]), hardState: { term: 3, vote: null, commit: 1 } },
  });
  net.elect('a');
  t.not(net.node('a').status().role, 'leader');
});

test('§9.6 PreVote: a node that cannot win does not raise anyone’s term, so a rejoining node cannot disrupt', (t) => {
  const net = new TestNet(ABC);
  net.elect('a');
  net.isolate('c');
  // c campaigns repeatedly while cut off; with PreVote its term never moves.
  net.tick('c', 10 * TEST_CONFIG.electionTicks);
  t.is(net.node('c').status().term, 2);
  net.heal();
  net.deliverAll();
  net.tick('c', 3 * TEST_CONFIG.electionTicks);
  net.deliverAll();
  t.is(net.node('a').status().role, 'leader', 'the leader is not deposed');
  t.is(net.node('a').status().term, 2);
});

test('§9.6 PreVote: a granted PreVote does not change the voter’s term or vote', (t) => {
  const net = new TestNet(ABC);
  const b = net.node('b');
  b.step({ type: 'RequestVote', from: 'a', to: 'b', term: 7, preVote: true, lastLogIndex: 1, lastLogTerm: 1, transfer: false });
  const rd = b.ready();
  const reply = rd.messages[0] as RequestVoteResponse;
  t.true(reply.granted);
  t.true(reply.preVote);
  t.is(reply.term, 7);
  t.is(b.status().term, 1);
  t.is(b.status().vote, null);
});

test('CheckQuorum (dissertation §6.2): a leader cut off from a majority steps down within an election timeout', (t) => {
  const net = new TestNet(ABC);
  net.elect('a');
  net.isolate('a');
  net.tick('a', 2 * TEST_CONFIG.electionTicks);
  t.is(net.node('a').status().role, 'follower');
});

test('CheckQuorum (dissertation §6.2): a leader that hears from a majority stays leader', (t) => {
  const net = new TestNet(ABC);
  net.elect('a');
  for (let i = 0; i < 5 * TEST_CONFIG.electionTicks; i++) net.heartbeat('a');
  t.is(net.node('a').status().role, 'leader');
});

test('CheckQuorum lease (dissertation §4.2.3): a follower that hears from its leader ignores vote requests', (t) => {
  const net = new TestNet(ABC);
  net.elect('a');
  net.heartbeat('a');
  const b = net.node('b');
  b.step({ type: 'RequestVote', from: 'c', to: 'b', term: 10, preVote: false, lastLogIndex: 100, lastLogTerm: 9, transfer: false });
  t.is(b.status().term, 2, 'term unchanged');
  t.is(b.status().vote, 'a');
  t.false(b.hasReady() && b.ready().messages.some((m) => m.type === 'RequestVoteResponse'));
});
