/**
 * The consensus driven over real gRPC: three RaftDrivers on GrpcTransports elect a leader,
 * replicate commands, and bring a late node up to date through a streamed InstallSnapshot.
 */
import test from 'ava';
import { RaftDriver } from '../../cluster/consensus/driver.js';
import { NotLeaderError } from '../../cluster/consensus/errors.js';
import type { Member } from '../../cluster/consensus/types.js';
import { SeededRandom } from '../../cluster/simulation/random.js';
import { encodeKvCommand, MemoryStateMachine, type KvResult } from '../../cluster/state-machine/memory.js';
import { MemoryHardStateStore, MemoryLogStore, MemorySnapshotStore } from '../../cluster/storage/memory.js';
import type { GrpcTransport } from '../../cluster/transport/grpc/index.js';
import { grpcTransport } from './grpc-cluster.js';

const TICK_MS = 20;
const WAIT_LIMIT_MS = 30_000;

interface Node {
  transport: GrpcTransport;
  member: Member;
  state: MemoryStateMachine;
  driver?: RaftDriver<KvResult>;
}

async function until(done: () => boolean, what: string): Promise<void> {
  const limit = Date.now() + WAIT_LIMIT_MS;
  while (!done()) {
    if (Date.now() > limit) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
}

test('three drivers over GrpcTransport replicate commands and catch a late node up by snapshot', async (t) => {
  const snapshotsSent: boolean[] = [];
  const nodes: Node[] = [];
  for (const id of ['a', 'b', 'c']) {
    const hooks = {
      onSendResult: (_peer: string, ok: boolean, type: string) => {
        if (type === 'InstallSnapshot') snapshotsSent.push(ok);
      },
    };
    const { transport, member } = await grpcTransport(t, { id, token: 'cluster-secret', hooks });
    nodes.push({ transport, member, state: new MemoryStateMachine() });
  }
  const bootstrap = { members: nodes.map((n) => n.member) };
  const open = async (node: Node, seed: number): Promise<void> => {
    node.driver = await RaftDriver.open<KvResult>({
      id: node.member.id,
      random: new SeededRandom(seed),
      stores: { log: new MemoryLogStore(), hardState: new MemoryHardStateStore(), snapshots: new MemorySnapshotStore() },
      transport: node.transport,
      stateMachine: node.state,
      snapshotThreshold: 10,
      snapshotTrailing: 2,
      bootstrap,
    });
    t.teardown(() => node.driver?.close());
  };
  const ticker = setInterval(() => nodes.forEach((n) => n.driver?.tick()), TICK_MS);
  t.teardown(() => clearInterval(ticker));

  // c stays down (its port refuses messages until a driver takes them) while a and b commit.
  await open(nodes[0], 1);
  await open(nodes[1], 2);
  const running = nodes.slice(0, 2);
  const leader = (): RaftDriver<KvResult> | undefined => running.find((n) => n.driver?.status().role === 'leader')?.driver;
  const count = 40;
  for (let seq = 1; seq <= count; seq++) {
    const data = encodeKvCommand({ clientId: 'test', seq, key: `k${seq}`, value: `v${seq}` });
    for (;;) {
      await until(() => leader() !== undefined, 'a leader');
      try {
        await leader()?.propose(data);
        break;
      } catch (err) {
        if (!(err instanceof NotLeaderError)) throw err;
      }
    }
  }
  const target = leader()?.status().commit ?? 0;
  await until(() => running.every((n) => (n.driver?.status().applied ?? 0) >= target), 'a and b to apply every command');
  t.true((leader()?.status().firstIndex ?? 0) > 2, 'the leader compacted its log');

  await open(nodes[2], 3);
  await until(() => (nodes[2].driver?.status().applied ?? 0) >= target, 'c to catch up');
  t.true(snapshotsSent.includes(true), 'c was sent a snapshot');
  t.is(nodes[2].state.get(`k${count}`), `v${count}`);
  t.is(nodes[2].state.digest(), nodes[0].state.digest());
  t.is(nodes[1].state.digest(), nodes[0].state.digest());
});
