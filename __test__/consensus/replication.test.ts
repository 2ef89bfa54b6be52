import test from 'ava';
import type { AppendEntries, AppendEntriesResponse, LogEntry, Message } from '../../cluster/consensus/types.js';
import { command, logWithTerms, TestNet, TEST_CONFIG } from './harness.js';

const ABC = ['a', 'b', 'c'];

function terms(entries: LogEntry[]): number[] {
  return entries.map((e) => e.term);
}

test('§5.3 log replication: a proposal is replicated, committed by a majority and applied everywhere in order', (t) => {
  const net = new TestNet(ABC);
  net.elect('a');
  net.propose('a', 'x');
  net.propose('a', 'y');
  net.deliverAll();
  net.heartbeat('a');
  for (const id of ABC) t.deepEqual(net.appliedTexts(id), ['x', 'y'], id);
});

test('§5.3 consistency check: a follower rejects AppendEntries whose previous entry it lacks, with a hint', (t) => {
  const net = new TestNet(ABC, { b: { entries: logWithTerms(ABC, [1]), hardState: { term: 1, vote: null, commit: 1 } } });
  const b = net.node('b');
  b.step({ type: 'AppendEntries', from: 'a', to: 'b', term: 2, prevLogIndex: 5, prevLogTerm: 2, entries: [command(6, 2)], leaderCommit: 0 });
  const reply = b.ready().messages[0] as AppendEntriesResponse;
  t.false(reply.success);
  t.is(reply.conflictTerm, 0, 'b has no entry at 5');
  t.is(reply.conflictIndex, 3, 'b’s last index + 1');
  t.is(b.status().lastIndex, 2, 'nothing appended');
});

test('§5.3 consistency check: on a term mismatch the hint names the conflicting term and its first index', (t) => {
  const net = new TestNet(ABC, { b: { entries: logWithTerms(ABC, [2, 2, 2]), hardState: { term: 2, vote: null, commit: 1 } } });
  const b = net.node('b');
  b.step({ type: 'AppendEntries', from: 'a', to: 'b', term: 3, prevLogIndex: 4, prevLogTerm: 3, entries: [], leaderCommit: 1 });
  const reply = b.ready().messages[0] as AppendEntriesResponse;
  t.false(reply.success);
  t.is(reply.conflictTerm, 2);
  t.is(reply.conflictIndex, 2);
});

test('§5.3 log matching (Figure 7): the leader repairs followers with missing, extra and conflicting entries', (t) => {
  const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const voters = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const net = new TestNet(voters, {
    a: { entries: logWithTerms(voters, leaderLog), hardState: { term: 7, vote: null, commit: 1 } },
    b: { entries: logWithTerms(voters, [1, 1, 1, 4, 4, 5, 5, 6, 6]), hardState: { term: 6, vote: null, commit: 1 } },
    c: { entries: logWithTerms(voters, [1, 1, 1, 4]), hardState: { term: 4, vote: null, commit: 1 } },
    d: { entries: logWithTerms(voters, [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6]), hardState: { term: 6, vote: null, commit: 1 } },
    e: { entries: logWithTerms(voters, [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7]), hardState: { term: 7, vote: null, commit: 1 } },
    f: { entries: logWithTerms(voters, [1, 1, 1, 4, 4, 4, 4]), hardState: { term: 4, vote: null, commit: 1 } },
    g: { entries: logWithTerms(voters, [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]), hardState: { term: 3, vote: null, commit: 1 } },
  });
  // a wins term 8 with votes from b, c, f, g (d and e have more up-to-date logs and refuse).
  net.elect('a');
  t.is(net.node('a').status().role, 'leader');
  net.propose('a', 'z');
  net.deliverAll();
  net.heartbeat('a');
  const expected = [1, ...leaderLog, 8, 8];
  for (const id of voters) {
    const raft = net.node(id);
    const log = Array.from({ length: raft.status().lastIndex }, (_, i) => raft.entryAt(i + 1)!);
    t.deepEqual(terms(log), expected, `${id}'s log equals the leader's`);
  }
});

test('§5.3 fast backtracking: repairing a follower costs one round trip per conflicting term, not per entry', (t) => {
  const net = new TestNet(ABC, {
    a: { entries: logWithTerms(ABC, [2, 2, 2, 2, 2, 2, 2, 2, 2, 2]), hardState: { term: 3, vote: null, commit: 1 } },
    b: { entries: logWithTerms(ABC, [2, 2, 2, 2, 2, 2, 2, 2, 2, 2]), hardState: { term: 3, vote: null, commit: 1 } },
    c: { entries: logWithTerms(ABC, [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]), hardState: { term: 3, vote: null, commit: 1 } },
  });
  net.disconnect('a', 'c');
  net.elect('a');
  t.is(net.node('a').status().role, 'leader');
  net.heal();
  net.sent = [];
  net.heartbeat('a');
  net.heartbeat('a');
  const rejections = net.sent.filter((m) => m.type === 'AppendEntriesResponse' && m.from === 'c' && !m.success);
  t.true(rejections.length <= 2, `${rejections.length} rejections`);
  t.is(net.node('c').status().lastIndex, net.node('a').status().lastIndex);
  t.is(net.node('c').termAt(11), 2);
});

test('§5.3 a conflicting suffix is deleted, but a follower never lets a leader overwrite a committed entry', (t) => {
  const net = new TestNet(ABC, { b: { entries: logWithTerms(ABC, [2, 2]), hardState: { term: 2, vote: null, commit: 2 } } });
  const b = net.node('b');
  b.step({ type: 'AppendEntries', from: 'a', to: 'b', term: 3, prevLogIndex: 2, prevLogTerm: 2, entries: [command(3, 3)], leaderCommit: 2 });
  t.is(b.termAt(3), 3, 'uncommitted conflicting entry 3 replaced');
  b.step({ type: 'AppendEntries', from: 'a', to: 'b', term: 4, prevLogIndex: 1, prevLogTerm: 1, entries: [command(2, 4)], leaderCommit: 2 });
  t.is(b.termAt(2), 2, 'committed entry 2 kept');
  const reply = b.ready().messages.at(-1) as AppendEntriesResponse;
  t.true(reply.success);
  t.is(reply.matchIndex, 2, 'b answers with its commit index, which matches every leader');
});

test('§5.4.2 Figure 8: a leader does not commit an entry of an earlier term by counting replicas', (t) => {
  // Figure 8 (c): s1 leads term 4 and gets its term-2 entry at index 3 onto a majority; that
  // must not commit it, because s5 (term 3 at index 3) could still be elected and overwrite it.
  const five = ['s1', 's2', 's3', 's4', 's5'];
  const net = new TestNet(five, {
    s1: { entries: logWithTerms(five, [1, 2]), hardState: { term: 3, vote: null, commit: 2 } },
    s2: { entries: logWithTerms(five, [1, 2]), hardState: { term: 3, vote: null, commit: 2 } },
    s3: { entries: logWithTerms(five, [1]), hardState: { term: 3, vote: null, commit: 2 } },
    s4: { entries: logWithTerms(five, [1]), hardState: { term: 3, vote: null, commit: 2 } },
    s5: { entries: logWithTerms(five, [1, 3]), hardState: { term: 3, vote: null, commit: 2 } },
  });
  const noAppends = (m: Message) => m.type !== 'AppendEntries';
  for (let i = 0; i < 20 && net.node('s1').status().role === 'follower'; i++) net.tick('s1');
  net.deliverAll(noAppends);
  const s1 = net.node('s1');
  t.is(s1.status().role, 'leader');
  t.is(s1.status().term, 4);
  // Only the old entry 3 reaches s2 and s3; the leader's no-op at 4 does not.
  for (const id of ['s2', 's3']) {
    net.node(id).step({ type: 'AppendEntries', from: 's1', to: id, term: 4, prevLogIndex: 2, prevLogTerm: 1, entries: [s1.entryAt(3)!], leaderCommit: 2 });
    net.collect(id);
  }
  net.deliverAll(noAppends);
  t.is(s1.matchIndexes().get('s2'), 3);
  t.is(s1.matchIndexes().get('s3'), 3);
  t.is(s1.status().commit, 2, 'index 3 (term 2) is on a majority but not committed by counting');
  // Once the term-4 entry is on a majority, it and everything before it commit.
  net.heartbeat('s1');
  net.heartbeat('s1');
  t.true(s1.status().commit >= 4);
  t.is(net.node('s3').termAt(3), 2);
});

test('§5.3 group commit: proposals made between two Ready batches are persisted as one batch', (t) => {
  const net = new TestNet(ABC);
  net.elect('a');
  net.deliverAll();
  const a = net.node('a');
  for (let i = 0; i < 50; i++) a.propose(new TextEncoder().encode(`w${i}`));
  const rd = a.ready();
  t.is(rd.entries.length, 50, 'one append, one fsync for 50 writes');
  const appends = rd.messages.filter((m): m is AppendEntries => m.type === 'AppendEntries');
  t.is(appends.length, 2, 'one AppendEntries per follower carries the whole batch');
  t.true(appends.every((m) => m.entries.length === 50));
  a.advance(rd);
});

test('§5.3 pipelining with flow control: at most maxInflight AppendEntries are unanswered per follower', (t) => {
  const net = new TestNet(ABC, { a: { config: { maxEntriesPerMessage: 1 } } });
  net.elect('a');
  net.deliverAll();
  net.sent = [];
  const a = net.node('a');
  for (let i = 0; i < 20; i++) a.propose(new TextEncoder().encode(`w${i}`));
  net.collect('a');
  const toB = net.queue.filter((m) => m.type === 'AppendEntries' && m.to === 'b');
  t.is(toB.length, TEST_CONFIG.maxInflight, 'pipelined up to the window, no more');
  net.deliverAll();
  net.heartbeat('a');
  t.is(net.node('b').status().lastIndex, a.status().lastIndex, 'the window slides as answers come back');
  t.deepEqual(net.appliedTexts('b').length, 20);
});

test('§5.3 lost AppendEntries are resent: a follower missing messages catches up on the next heartbeat', (t) => {
  const net = new TestNet(ABC);
  net.elect('a');
  net.deliverAll();
  net.propose('a', 'lost');
  net.deliverAll((m) => !(m.type === 'AppendEntries' && m.to === 'c'));
  t.is(net.node('c').status().lastIndex, 2);
  net.heartbeat('a');
  net.heartbeat('a');
  t.deepEqual(net.appliedTexts('c'), ['lost']);
});

test('§5.3 followers learn the commit index only for entries they are known to hold', (t) => {
  const net = new TestNet(ABC);
  net.elect('a');
  net.deliverAll();
  net.isolate('c');
  net.propose('a', 'x');
  net.deliverAll();
  net.heartbeat('a');
  t.is(net.node('c').status().commit, 0);
  const beats = net.sent.filter((m) => m.type === 'Heartbeat' && m.to === 'c');
  t.true(beats.every((m) => m.type === 'Heartbeat' && m.commit <= 2));
});
