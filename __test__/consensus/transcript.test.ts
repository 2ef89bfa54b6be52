/**
 * Scenario transcripts: every message of a scripted scenario, one line each, compared with a
 * reviewed file under testdata/. A change in protocol behaviour shows up as a readable diff;
 * regenerate with UPDATE_TRANSCRIPTS=1 and review the diff before committing it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import test from 'ava';
import type { Message } from '../../cluster/consensus/types.js';
import { TestNet } from './harness.js';

function describe(m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} t${m.term}`;
  switch (m.type) {
    case 'RequestVote':
      return `${head}${m.preVote ? ' pre' : ''} last=${m.lastLogIndex}/${m.lastLogTerm}${m.transfer ? ' transfer' : ''}`;
    case 'RequestVoteResponse':
      return `${head}${m.preVote ? ' pre' : ''} ${m.granted ? 'granted' : 'rejected'}`;
    case 'AppendEntries':
      return `${head} prev=${m.prevLogIndex}/${m.prevLogTerm} entries=[${m.entries.map((e) => `${e.index}/${e.term}${e.type === 'command' ? '' : `:${e.type}`}`).join(' ')}] commit=${m.leaderCommit}`;
    case 'AppendEntriesResponse':
      return m.success ? `${head} ok match=${m.matchIndex}` : `${head} reject conflict=${m.conflictIndex}/${m.conflictTerm}`;
    case 'Heartbeat':
      return `${head} commit=${m.commit} ctx=${m.readContext}`;
    case 'HeartbeatResponse':
      return `${head} ctx=${m.readContext}`;
    case 'InstallSnapshot':
      return `${head} snapshot=${m.snapshot.meta.index}/${m.snapshot.meta.term}`;
    case 'InstallSnapshotResponse':
      return `${head} match=${m.matchIndex}`;
    case 'TimeoutNow':
      return head;
  }
}

function checkTranscript(t: import('ava').ExecutionContext, name: string, lines: string[]): void {
  const path = new URL(`./testdata/${name}.txt`, import.meta.url);
  const actual = `${lines.join('\n')}\n`;
  if (process.env.UPDATE_TRANSCRIPTS === '1') writeFileSync(path, actual);
  t.is(actual, readFileSync(path, 'utf8'));
}

test('transcript: election with PreVote, replication, a lagging follower repaired, a linearizable read, a leadership transfer', (t) => {
  const net = new TestNet(['a', 'b', 'c']);
  const lines: string[] = [];
  const record = (title: string) => {
    lines.push(`# ${title}`);
    net.sent = [];
  };
  const flush = () => {
    net.deliverAll();
    lines.push(...net.sent.map(describe));
  };
  record('a times out and campaigns');
  for (let i = 0; i < 20 && net.node('a').status().role === 'follower'; i++) net.tick('a');
  flush();
  record('a proposes x; c is cut off');
  net.isolate('c');
  net.propose('a', 'x');
  flush();
  record('c comes back; heartbeats repair it');
  net.heal();
  net.heartbeat('a');
  lines.push(...net.sent.map(describe));
  record('a linearizable read');
  net.node('a').readIndex(1);
  net.collect('a');
  flush();
  lines.push(`readStates a: ${JSON.stringify(net.readStates.get('a'))}`);
  record('leadership moves to b');
  net.node('a').transferLeadership('b');
  net.collect('a');
  flush();
  lines.push(`roles: ${['a', 'b', 'c'].map((id) => `${id}=${net.node(id).status().role}`).join(' ')}`);
  checkTranscript(t, 'election-replication-transfer', lines);
});
