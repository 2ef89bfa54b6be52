import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { encodeCommand } from '../../cluster/commands/codec.js';
import type { Command, CommandResult } from '../../cluster/commands/types.js';
import { RaftDriver, type RaftStores } from '../../cluster/consensus/driver.js';
import type { Membership } from '../../cluster/consensus/types.js';
import { SeededRandom } from '../../cluster/simulation/random.js';
import { EngineStateMachine } from '../../cluster/state-machine/engine.js';
import { MemoryHardStateStore, MemoryLogStore, MemorySnapshotStore } from '../../cluster/storage/memory.js';
import { MemoryNetwork } from '../../cluster/transport/memory.js';
import { tempDir } from '../helpers/temp-dir.js';
import { DIMENSION, SCHEMA, vectorFor } from './workload.js';

const VOTERS = ['n1', 'n2', 'n3'];
const MEMBERS: Membership = { members: VOTERS.map((id) => ({ id, voter: true, raftAddr: id, clusterAddr: id })) };

interface Node {
  id: string;
  dataDir: string;
  stores: RaftStores;
  sm: EngineStateMachine;
  driver: RaftDriver<CommandResult>;
}

async function startNode(t: ExecutionContext, net: MemoryNetwork, id: string, dataDir: string, stores: RaftStores): Promise<Node> {
  const sm = await EngineStateMachine.open({ dataDir });
  t.teardown(() => sm.close());
  const driver = await RaftDriver.open<CommandResult>({
    id,
    random: new SeededRandom(id.charCodeAt(1) * 31),
    stores,
    transport: net.connect(id),
    stateMachine: sm,
    snapshotThreshold: 15,
    snapshotTrailing: 3,
    bootstrap: MEMBERS,
  });
  t.teardown(() => driver.close());
  return { id, dataDir, stores, sm, driver };
}

/** Ticks every node and lets the event loop deliver, until `done` or a bound on rounds (not on time). */
async function run(nodes: Node[], done: () => boolean, rounds = 2000): Promise<void> {
  for (let i = 0; i < rounds && !done(); i++) {
    for (const n of nodes) n.driver.tick();
    await Promise.all(nodes.map((n) => n.driver.settle()));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function leaderOf(nodes: Node[]): Promise<Node> {
  await run(nodes, () => nodes.some((n) => n.driver.status().role === 'leader'));
  const leader = nodes.find((n) => n.driver.status().role === 'leader');
  if (!leader) throw new Error('no leader elected');
  return leader;
}

/** What the cluster server does with a write: validate on the leader, propose, wait for the apply. */
async function write(nodes: Node[], command: Command): Promise<CommandResult> {
  const leader = await leaderOf(nodes);
  await leader.sm.validate(command);
  const pending = leader.driver.propose(encodeCommand(command));
  let result: CommandResult | undefined;
  void pending.then((r) => (result = r));
  await run(nodes, () => result !== undefined);
  return pending;
}

async function converge(nodes: Node[]): Promise<void> {
  const leader = await leaderOf(nodes);
  await run(nodes, () => nodes.every((n) => n.driver.status().applied === leader.driver.status().commit));
}

test('three replicas driven by the real Raft driver converge; a restarted one rebuilds by snapshot plus replay', async (t) => {
  const net = new MemoryNetwork();
  const root = await tempDir(t, 'vxl-sm-driver-');
  const nodes: Node[] = [];
  for (const id of VOTERS) {
    const stores = { log: new MemoryLogStore(), hardState: new MemoryHardStateStore(), snapshots: new MemorySnapshotStore() };
    nodes.push(await startNode(t, net, id, join(root, id), stores));
  }
  t.deepEqual(await write(nodes, { type: 'createCollection', clientId: 'app', seq: 1, collection: { name: 'docs', dimension: DIMENSION, distance: 'cosine', payloadSchema: SCHEMA } }), { ok: true });
  let seq = 1;
  const first: Command = { type: 'insert', clientId: 'app', seq: ++seq, collection: 'docs', point: { id: 1, vector: vectorFor(1), payloadInsertQuery: "INSERT INTO docs (label) VALUES ('one')" } };
  t.deepEqual(await write(nodes, first), { ok: true });
  for (let id = 2; id <= 25; id++) {
    await write(nodes, { type: 'insert', clientId: 'app', seq: ++seq, collection: 'docs', point: { id, vector: vectorFor(id), payloadInsertQuery: `INSERT INTO docs (label) VALUES ('p${id}')` } });
  }

  // A follower crashes: its engine database is abandoned, its Raft stores survive.
  const leader = await leaderOf(nodes);
  const victim = nodes.find((n) => n !== leader)!;
  await victim.driver.close();
  await victim.sm.close();
  const survivors = nodes.filter((n) => n !== victim);
  for (let id = 26; id <= 45; id++) {
    await write(survivors, { type: 'insert', clientId: 'app', seq: ++seq, collection: 'docs', point: { id, vector: vectorFor(id), payloadInsertQuery: `INSERT INTO docs (label) VALUES ('p${id}')` } });
  }
  t.true(victim.stores.snapshots.load() !== null, 'the victim had taken a snapshot before it crashed');
  const restarted = await startNode(t, net, victim.id, victim.dataDir, victim.stores);
  nodes[nodes.indexOf(victim)] = restarted;
  t.true((await restarted.sm.appliedIndex()) >= victim.stores.snapshots.load()!.meta.index, 'the driver restored the snapshot on open');
  await converge(nodes);

  const digests = await Promise.all(nodes.map((n) => n.sm.digest()));
  t.is(new Set(digests).size, 1, 'every replica holds the same data');
  t.is((await restarted.sm.engine.collectionInfo('docs')).count, 45);
  t.deepEqual((await restarted.sm.engine.get('docs', 1))?.payload, { rowid: 1, label: 'one', score: null, tag: null });

  // A client that lost the answer to its last write retries it: the same result, not a second apply.
  const last: Command = { type: 'delete', clientId: 'app', seq: ++seq, collection: 'docs', id: 1 };
  t.deepEqual(await write(nodes, last), { ok: true, deleted: true });
  t.deepEqual(await write(nodes, last), { ok: true, deleted: true }, 'the retry reports the first outcome');
  await converge(nodes);
  t.is(new Set(await Promise.all(nodes.map((n) => n.sm.digest()))).size, 1);
  t.is(restarted.sm.lastSequence('app'), seq);
});
