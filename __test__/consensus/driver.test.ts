import test from 'ava';
import { loadDurableState, RaftDriver, type DriverEvent, type RaftStores } from '../../cluster/consensus/driver.js';
import { NotLeaderError, OutcomeUnknownError } from '../../cluster/consensus/errors.js';
import { decodeMembership } from '../../cluster/consensus/membership.js';
import type { Member, Message } from '../../cluster/consensus/types.js';
import { SimDisk } from '../../cluster/simulation/disk.js';
import { SeededRandom } from '../../cluster/simulation/random.js';
import { MemoryStateMachine, encodeKvCommand, type KvResult } from '../../cluster/state-machine/memory.js';
import { MemoryHardStateStore, MemoryLogStore, MemorySnapshotStore } from '../../cluster/storage/memory.js';
import { MemoryNetwork } from '../../cluster/transport/memory.js';
import type { MessageHandler, Transport } from '../../cluster/transport/types.js';
import { command, configEntry, membership } from './harness.js';

function memoryStores(): RaftStores {
  return { log: new MemoryLogStore(), hardState: new MemoryHardStateStore(), snapshots: new MemorySnapshotStore() };
}

const write = (seq: number, value = `v${seq}`) => encodeKvCommand({ clientId: 'c1', seq, key: 'k', value });

test('driver restart: an empty store is bootstrapped with the first configuration at index 1', (t) => {
  const stores = memoryStores();
  const state = loadDurableState(stores, membership(['a', 'b']));
  t.is(state.entries.length, 1);
  t.is(state.entries[0].type, 'config');
  t.deepEqual(decodeMembership(state.entries[0].data), membership(['a', 'b']));
  t.is(stores.log.lastIndex(), 1, 'durable');
  const again = loadDurableState(stores, membership(['x']));
  t.deepEqual(decodeMembership(again.entries[0].data), membership(['a', 'b']), 'bootstrap applies only to empty stores');
});

test('driver restart: entries saved before a crash that lost the hard state raise the term, never restore a vote', (t) => {
  const stores = memoryStores();
  stores.hardState.save({ term: 2, vote: 'b', commit: 1 });
  stores.log.append([configEntry(1, 1, membership(['a'])), command(2, 5)]);
  const state = loadDurableState(stores);
  t.deepEqual(state.hardState, { term: 5, vote: null, commit: 1 });
});

test('driver restart: a log that does not continue the snapshot is dropped; one that does is kept after it', (t) => {
  const stores = memoryStores();
  stores.log.append([configEntry(1, 1, membership(['a'])), command(2, 1), command(3, 2)]);
  stores.snapshots.save({ meta: { index: 3, term: 3, membership: membership(['a']) }, data: new Uint8Array() });
  const dropped = loadDurableState(stores);
  t.deepEqual(dropped.entries, []);
  t.is(stores.log.firstIndex(), 4);

  const kept = memoryStores();
  kept.log.append([configEntry(1, 1, membership(['a'])), command(2, 1), command(3, 2), command(4, 2)]);
  kept.snapshots.save({ meta: { index: 3, term: 2, membership: membership(['a']) }, data: new Uint8Array() });
  t.deepEqual(loadDurableState(kept).entries.map((e) => e.index), [4]);
});

/** A transport that records when messages are handed to it, relative to store writes. */
class RecordingTransport implements Transport {
  constructor(private readonly events: string[]) {}
  send(m: Message): void {
    this.events.push(`send ${m.type}`);
  }
  onMessage(_handler: MessageHandler): void {}
  setMembers(_members: Member[]): void {}
  async close(): Promise<void> {}
}

/** Memory stores that log each write into `events`, beside the RecordingTransport's sends. */
function recordingStores(events: string[]): RaftStores {
  const stores = memoryStores();
  const log = stores.log;
  const hardState = stores.hardState;
  return {
    log: Object.assign(Object.create(log) as MemoryLogStore, {
      append: (entries: Parameters<MemoryLogStore['append']>[0]) => {
        events.push(`append ${entries.length}`);
        log.append(entries);
      },
    }),
    hardState: Object.assign(Object.create(hardState) as MemoryHardStateStore, {
      save: (s: Parameters<MemoryHardStateStore['save']>[0]) => {
        events.push(`save term ${s.term} vote ${s.vote}`);
        hardState.save(s);
      },
    }),
    snapshots: stores.snapshots,
  };
}

function recordingDriver(events: string[], bootstrap: ReturnType<typeof membership>, stateMachine = new MemoryStateMachine()): Promise<RaftDriver<KvResult>> {
  return RaftDriver.open<KvResult>({
    id: 'a',
    random: new SeededRandom(1),
    stores: recordingStores(events),
    transport: new RecordingTransport(events),
    stateMachine,
    snapshotThreshold: 1000,
    snapshotTrailing: 0,
    bootstrap,
    raft: { preVote: false },
  });
}

test('driver protocol order: entries and hard state are durable before any message that depends on them is sent', async (t) => {
  const events: string[] = [];
  const driver = await recordingDriver(events, membership(['a', 'b', 'c']));
  for (let i = 0; i < 25; i++) driver.tick();
  await driver.settle();
  const firstVote = events.findIndex((e) => e === 'send RequestVote');
  const voteSaved = events.findIndex((e) => e.startsWith('save') && e.includes('vote a'));
  t.true(voteSaved >= 0 && firstVote > voteSaved, events.join(', '));
  // A follower's acknowledgement of entries comes after those entries are durable.
  events.length = 0;
  driver.receive({ type: 'AppendEntries', from: 'b', to: 'a', term: 9, prevLogIndex: 1, prevLogTerm: 1, entries: [command(2, 9)], leaderCommit: 1 });
  await driver.settle();
  t.deepEqual(events, ['append 1', 'save term 9 vote null', 'send AppendEntriesResponse']);
});

/** Node a of a, b, c, elected by b's vote, with b and c holding its whole log. */
async function recordingLeader(events: string[], stateMachine?: MemoryStateMachine): Promise<RaftDriver<KvResult>> {
  const driver = await recordingDriver(events, membership(['a', 'b', 'c']), stateMachine);
  while (driver.status().role !== 'candidate') {
    driver.tick();
    await driver.settle();
  }
  driver.receive({ type: 'RequestVoteResponse', from: 'b', to: 'a', term: driver.status().term, preVote: false, granted: true });
  await driver.settle();
  for (const from of ['b', 'c']) acknowledge(driver, from);
  await driver.settle();
  return driver;
}

/** `from` tells the leader it holds the leader's whole log. */
function acknowledge(leader: RaftDriver<KvResult>, from: string): void {
  const { term, lastIndex } = leader.status();
  leader.receive({ type: 'AppendEntriesResponse', from, to: 'a', term, success: true, matchIndex: lastIndex, conflictTerm: 0, conflictIndex: 0 });
}

test('driver protocol order: a leader sends its new entries before writing them, unless the commit index sent covers them', async (t) => {
  const events: string[] = [];
  const driver = await recordingLeader(events);
  t.is(driver.status().role, 'leader');
  events.length = 0;
  // Followers' fsyncs overlap the leader's own (§10.2.1); their answers are stepped only after it.
  driver.propose(write(1)).catch(() => undefined);
  await driver.settle();
  t.deepEqual(events, ['send AppendEntries', 'send AppendEntries', 'append 1']);
  await driver.close();

  // A lone voter commits its entry at once: a learner must not hear of that commit before the entry is durable.
  const alone: string[] = [];
  const single = await recordingDriver(alone, membership(['a'], ['l']));
  while (single.status().role !== 'leader') {
    single.tick();
    await single.settle();
  }
  t.deepEqual(alone.slice(-3), ['append 1', `save term ${single.status().term} vote a`, 'send AppendEntries'], 'a new term is durable before the leader speaks in it');
  // The learner answers, one entry behind (caught up, it would be promoted to a voter).
  const lone = single.status();
  single.receive({ type: 'AppendEntriesResponse', from: 'l', to: 'a', term: lone.term, success: true, matchIndex: lone.lastIndex - 1, conflictTerm: 0, conflictIndex: 0 });
  await single.settle();
  alone.length = 0;
  await single.propose(write(1));
  await single.settle();
  t.deepEqual(alone, ['append 1', `save term ${single.status().term} vote a`, 'send AppendEntries']);
  await single.close();
});

test('driver ReadIndex batching: reads arriving during a round share the next one, each answered once its read index is applied', async (t) => {
  const events: string[] = [];
  const state = new MemoryStateMachine();
  const driver = await recordingLeader(events, state);
  const heartbeats = () => events.filter((e) => e === 'send Heartbeat').length;
  const answers: Array<{ index: number; applied: number }> = [];
  const read = () =>
    driver.readIndex().then(async (index) => {
      answers.push({ index, applied: await state.appliedIndex() });
      return index;
    });
  events.length = 0;
  const first = read();
  await driver.settle();
  t.is(heartbeats(), 2, 'one round: a heartbeat to each follower');
  const firstIndex = driver.status().commit;

  // A write commits while the round is in flight: reads issued after it must see it.
  const written = driver.propose(write(1));
  await driver.settle();
  acknowledge(driver, 'b');
  await written;
  const later = [read(), read(), read()];
  await driver.settle();
  t.is(heartbeats(), 2, 'reads wait for the round in flight instead of starting their own');
  t.is(answers.length, 0);

  const { term } = driver.status();
  driver.receive({ type: 'HeartbeatResponse', from: 'b', to: 'a', term, readContext: 1 });
  await driver.settle();
  t.is(await first, firstIndex);
  t.is(heartbeats(), 4, 'the confirmed round starts the next one, for all three waiting reads');
  t.is(answers.length, 1, 'the later reads are not answered by the earlier round');

  driver.receive({ type: 'HeartbeatResponse', from: 'c', to: 'a', term, readContext: 2 });
  await driver.settle();
  const indexes = await Promise.all(later);
  t.deepEqual(indexes, [driver.status().commit, driver.status().commit, driver.status().commit]);
  t.true(indexes[0] > firstIndex, 'the later round reads at or after the write');
  for (const a of answers) t.true(a.applied >= a.index, `answered at ${a.index} with only ${a.applied} applied`);
  await driver.close();
});

test('driver ReadIndex batching: losing leadership fails the round in flight and the reads waiting for the next', async (t) => {
  const events: string[] = [];
  const driver = await recordingLeader(events);
  const inFlight = driver.readIndex();
  await driver.settle();
  const waiting = driver.readIndex();
  await driver.settle();
  driver.receive({ type: 'AppendEntries', from: 'b', to: 'a', term: driver.status().term + 1, prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 });
  await driver.settle();
  for (const read of [inFlight, waiting]) {
    const error = await t.throwsAsync(read);
    t.true(error instanceof NotLeaderError, String(error));
  }
  await driver.close();
});

test('driver ReadIndex batching: a round orphaned by losing and regaining leadership between two batches is retried, not left in flight', async (t) => {
  const events: string[] = [];
  const driver = await recordingLeader(events);
  const { term } = driver.status();
  const read = driver.readIndex();
  await driver.settle();
  // One batch: a newer leader's message deposes a, then a campaigns and b elects it again.
  driver.receive({ type: 'HeartbeatResponse', from: 'c', to: 'a', term, readContext: 0 });
  driver.receive({ type: 'Heartbeat', from: 'b', to: 'a', term: term + 1, commit: 0, readContext: 0 });
  for (let i = 0; i < 25; i++) driver.tick();
  driver.receive({ type: 'RequestVoteResponse', from: 'b', to: 'a', term: term + 2, preVote: false, granted: true });
  await driver.settle();
  t.like(driver.status(), { role: 'leader', term: term + 2 });
  for (const from of ['b', 'c']) acknowledge(driver, from);
  await driver.settle();
  // The read waits for a round of the new term; an answer for it confirms the read.
  driver.receive({ type: 'HeartbeatResponse', from: 'b', to: 'a', term: term + 2, readContext: 2 });
  await driver.settle();
  t.is(await read, driver.status().commit);
  const later = driver.readIndex();
  await driver.settle();
  driver.receive({ type: 'HeartbeatResponse', from: 'c', to: 'a', term: term + 2, readContext: 3 });
  await driver.settle();
  t.is(await later, driver.status().commit, 'later reads get rounds of their own');
  await driver.close();
});

interface Node {
  id: string;
  stores: RaftStores;
  state: MemoryStateMachine;
  driver: RaftDriver<KvResult>;
  events: DriverEvent[];
}

async function startNode(net: MemoryNetwork, id: string, stores: RaftStores, voters: string[], events: DriverEvent[] = []): Promise<Node> {
  const state = new MemoryStateMachine();
  const driver = await RaftDriver.open<KvResult>({
    id,
    random: new SeededRandom(id.charCodeAt(0)),
    stores,
    transport: net.connect(id),
    stateMachine: state,
    snapshotThreshold: 10,
    snapshotTrailing: 2,
    bootstrap: membership(voters),
    onEvent: (e) => events.push(e),
  });
  return { id, stores, state, driver, events };
}

/** Ticks every node and lets the event loop deliver, until `done` or a bound. */
async function run(nodes: Node[], done: () => boolean, rounds = 500): Promise<void> {
  for (let i = 0; i < rounds && !done(); i++) {
    for (const n of nodes) n.driver.tick();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function leaderOf(nodes: Node[]): Node | undefined {
  return nodes.find((n) => n.driver.status().role === 'leader');
}

test('driver end to end: three nodes elect, commit, answer linearizable reads, snapshot, and a restarted node catches up', async (t) => {
  const net = new MemoryNetwork();
  const voters = ['a', 'b', 'c'];
  const nodes = await Promise.all(voters.map((id) => startNode(net, id, memoryStores(), voters)));
  await run(nodes, () => leaderOf(nodes) !== undefined && nodes.every((n) => n.driver.status().leaderId === leaderOf(nodes)!.id));
  const leader = leaderOf(nodes)!;
  t.truthy(leader);

  const follower = nodes.find((n) => n !== leader)!;
  const refused = await t.throwsAsync(follower.driver.propose(write(1)), { instanceOf: NotLeaderError });
  t.is(refused?.leaderId, leader.id);

  const results: Promise<KvResult>[] = [];
  for (let seq = 1; seq <= 30; seq++) results.push(leader.driver.propose(write(seq)));
  let settled = false;
  void Promise.all(results).then(() => (settled = true));
  await run(nodes, () => settled);
  t.true((await Promise.all(results)).every((r) => r.applied));

  let readIndex = -1;
  void leader.driver.readIndex().then((i) => (readIndex = i));
  await run(nodes, () => readIndex >= 0);
  t.true(readIndex >= 31);
  t.is(leader.state.get('k'), 'v30');
  t.true(leader.stores.log.firstIndex() > 1, 'the log was compacted after a snapshot');
  t.not(leader.stores.snapshots.load(), null);
  t.true(leader.events.some((e) => e.type === 'role' && e.role === 'leader'), 'role change reported');
  t.true(leader.events.some((e) => e.type === 'snapshot-taken'), 'snapshot reported');
  t.true(leader.events.some((e) => e.type === 'membership'), 'membership reported');

  // Restart a follower from its stores only: it replays snapshot + log and catches up.
  const victim = follower;
  await victim.driver.close();
  await t.throwsAsync(victim.driver.propose(write(99)), { code: 'CLOSED' });
  const others = nodes.filter((n) => n !== victim);
  const more: Promise<KvResult>[] = [];
  for (let seq = 31; seq <= 45; seq++) more.push(leader.driver.propose(write(seq)));
  await run(others, () => false, 20);
  const restarted = await startNode(net, victim.id, victim.stores, voters);
  const all = [...others, restarted];
  await run(all, () => restarted.state.get('k') === 'v45');
  t.is(restarted.state.get('k'), 'v45');
  for (const n of all) await n.driver.close();
});

test('driver: a retried write with the same client id and sequence is applied once', async (t) => {
  const net = new MemoryNetwork();
  const node = await startNode(net, 'solo', memoryStores(), ['solo']);
  await run([node], () => node.driver.status().role === 'leader');
  const first = await node.driver.propose(write(1, 'first'));
  const retry = await node.driver.propose(write(1, 'retry'));
  t.true(first.applied);
  t.false(retry.applied);
  t.is(node.state.get('k'), 'first');
  await node.driver.close();
  await node.driver.close();
  t.pass('close is idempotent');
});

/** Node a of {a, b, c}, elected leader with b's vote; the other nodes are played by the test. */
async function leaderOfThree(): Promise<{ driver: RaftDriver<KvResult>; term: number }> {
  const driver = await RaftDriver.open<KvResult>({
    id: 'a',
    random: new SeededRandom(1),
    stores: memoryStores(),
    transport: new RecordingTransport([]),
    stateMachine: new MemoryStateMachine(),
    snapshotThreshold: 1000,
    snapshotTrailing: 0,
    bootstrap: membership(['a', 'b', 'c']),
    raft: { preVote: false },
  });
  for (let i = 0; i < 25 && driver.status().role !== 'candidate'; i++) driver.tick();
  await driver.settle();
  const term = driver.status().term;
  driver.receive({ type: 'RequestVoteResponse', from: 'b', to: 'a', term, preVote: false, granted: true });
  await driver.settle();
  return { driver, term };
}

test('driver: a proposal overwritten by another leader’s entry is rejected with NotLeaderError naming the new leader', async (t) => {
  const { driver, term } = await leaderOfThree();
  t.is(driver.status().role, 'leader');
  const lost = driver.propose(write(1));
  await driver.settle();
  // b wins a later term without a's entries and commits its own entry at the same index.
  driver.receive({ type: 'AppendEntries', from: 'b', to: 'a', term: term + 1, prevLogIndex: 1, prevLogTerm: 1, entries: [2, 3].map((index) => ({ index, term: term + 1, type: 'command' as const, data: encodeKvCommand({ clientId: 'b', seq: index, key: 'k', value: 'b' }) })), leaderCommit: 3 });
  await driver.settle();
  const error = await t.throwsAsync(lost, { instanceOf: NotLeaderError });
  t.is(error?.leaderId, 'b');
  t.is(error?.code, 'FAILED_PRECONDITION');
  await driver.close();
});

test('driver: a proposal covered by a new leader’s snapshot has an unknown outcome: UNAVAILABLE, not a redirect', async (t) => {
  const { driver, term } = await leaderOfThree();
  t.is(driver.status().role, 'leader');
  const pending = driver.propose(write(1));
  await driver.settle();
  // b leads a later term and sends a snapshot through index 5: it may or may not hold a's entry.
  const source = new MemoryStateMachine();
  for (let index = 1; index <= 5; index++) await source.apply({ index, term: term + 1, type: 'noop', data: new Uint8Array() });
  const snapshotData = await source.snapshot();
  driver.receive({ type: 'InstallSnapshot', from: 'b', to: 'a', term: term + 1, snapshot: { meta: { index: 5, term: term + 1, membership: membership(['a', 'b', 'c']) }, data: snapshotData } });
  await driver.settle();
  const error = await t.throwsAsync(pending, { instanceOf: OutcomeUnknownError });
  t.is(error?.code, 'UNAVAILABLE');
  t.false(error instanceof NotLeaderError, 'an unknown outcome must not look like a redirect, or a resend could apply it twice');
  await driver.close();
});

test('driver crash safety: power lost between the writes of one batch never makes stale entries committed', async (t) => {
  // A follower holds an uncommitted entry 2 of an old term; the new leader replaces it and
  // says it is committed. Whichever write the crash interrupts, after a restart index 2 is
  // either uncommitted or the leader's entry — never the stale one.
  for (let writesBeforeCrash = 0; writesBeforeCrash < 3; writesBeforeCrash++) {
    const disk = new SimDisk(new SeededRandom(writesBeforeCrash), () => undefined);
    const stores = disk.stores();
    stores.log.append([configEntry(1, 1, membership(['a', 'b', 'c'])), command(2, 2)]);
    stores.hardState.save({ term: 2, vote: null, commit: 1 });
    const opts = {
      id: 'a',
      random: new SeededRandom(1),
      transport: new RecordingTransport([]),
      snapshotThreshold: 1000,
      snapshotTrailing: 0,
    };
    let crashed = false;
    const driver = await RaftDriver.open<KvResult>({ ...opts, stores, stateMachine: new MemoryStateMachine(), onFatal: () => (crashed = true) });
    disk.armCrash(writesBeforeCrash);
    const fresh = { index: 2, term: 3, type: 'command' as const, data: write(1) };
    driver.receive({ type: 'AppendEntries', from: 'b', to: 'a', term: 3, prevLogIndex: 1, prevLogTerm: 1, entries: [fresh], leaderCommit: 2 });
    await driver.settle();
    t.is(crashed, writesBeforeCrash < 2, `crash after ${writesBeforeCrash} writes`);
    const restarted = await RaftDriver.open<KvResult>({ ...opts, stores: disk.stores(), stateMachine: new MemoryStateMachine() });
    const status = restarted.status();
    if (status.commit >= 2) t.is(restarted.termAt(2), 3, `after a crash at write ${writesBeforeCrash + 1}, committed index 2 is the leader's entry`);
    else t.pass();
    await restarted.close();
  }
});
