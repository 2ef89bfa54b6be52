/**
 * The fault run (Jepsen-style): concurrent clients insert unique ids and read them back
 * linearizably while a seeded nemesis kills (kill -9, then the same command line), pauses
 * (SIGSTOP/SIGCONT) and partitions (per-node CONNECT proxies) real node processes. After the
 * faults are repaired and the replicas settle, the history is checked against every replica.
 * See docs/testing-faults.md; rerun a seed with FAULT_SEED=<seed>.
 */
import { randomInt } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { status, type ServiceError } from '@grpc/grpc-js';
import test from 'ava';
import { SeededRandom } from '../../cluster/simulation/random.js';
import { ClusterMethods, FAST_RAFT, TestCluster, waitFor, type TestNode } from './helpers/cluster.js';
import { check, tally } from './nemesis/checker.js';
import { History } from './nemesis/history.js';
import { drawSchedule, runNemesis, type FaultEvent } from './nemesis/nemesis.js';
import { Network } from './nemesis/network.js';
import { SnapshotCounter } from './nemesis/node-logs.js';
import { readSettledReplicas } from './nemesis/replicas.js';
import { Channels, COLLECTION, DIMENSION, SCHEMA, runClient } from './nemesis/workload.js';

/** FAULT_NODES=5 runs five voters (partitions then cut off two nodes at times). */
const NODES = Number(process.env.FAULT_NODES ?? 3);
const CLIENTS = 4;
/** Faults (gaps and holds, plus restarts) fill this much time; clients run until the last is repaired. FAULT_DURATION_MS changes it. */
const FAULT_MS = Number(process.env.FAULT_DURATION_MS ?? 40_000);
/**
 * Snapshots every 100 applied entries, keeping 20 behind: a run applies hundreds, so nodes
 * compact their logs and lagging or restarted ones catch up through InstallSnapshot while
 * faults go on.
 */
const NODE_ARGS = [...FAST_RAFT, '--snapshot-threshold', '100', '--snapshot-trailing', '20'];
/** Shown in full on failure; beyond this only the count, so the seed stays readable. */
const SHOWN_VIOLATIONS = 40;

const seed = process.env.FAULT_SEED === undefined ? randomInt(2 ** 31) : Number(process.env.FAULT_SEED);

test(`fault run: acknowledged writes survive kills, pauses and partitions; linearizable reads see them (seed ${seed})`, async (t) => {
  // Only keeps a wedged cluster from hanging the suite: faults, restarts, then convergence.
  t.timeout(FAULT_MS + 600_000);
  if (!Number.isSafeInteger(seed)) throw new Error(`FAULT_SEED must be an integer, got "${process.env.FAULT_SEED}"`);
  if (NODES !== 3 && NODES !== 5) throw new Error(`FAULT_NODES must be 3 or 5, got "${process.env.FAULT_NODES}"`);
  if (!Number.isSafeInteger(FAULT_MS) || FAULT_MS < 1_000 || FAULT_MS > 600_000) throw new Error(`FAULT_DURATION_MS must be 1000 to 600000, got "${process.env.FAULT_DURATION_MS}"`);
  t.log(`seed ${seed}: rerun with FAULT_SEED=${seed} npx ava __test__/cluster/fault-run.test.ts`);
  const random = new SeededRandom(seed);

  const cluster = await TestCluster.create(t);
  const nodes: TestNode[] = [];
  for (let i = 1; i <= NODES; i++) nodes.push(await cluster.addNode(`n${i}`));
  const network = await Network.create(t, nodes);
  network.start(nodes[0], { bootstrap: true, args: NODE_ARGS });
  for (const node of nodes.slice(1)) network.start(node, { join: nodes[0].clusterAddr, args: NODE_ARGS });
  await cluster.waitForVoters(NODES);

  const channels = new Channels();
  t.teardown(() => channels.close());
  const leader = await cluster.waitForLeader();
  // Retried until it exists: on a busy machine the first attempt may time out after proposing.
  await waitFor('the collection', async () => {
    const request = { collectionName: COLLECTION, distance: 'l2', vectorDimension: DIMENSION, payloadTableSchema: SCHEMA, indexFilePath: '' };
    await channels.call(leader.clusterAddr, ClusterMethods.createCollection, request, 10_000).catch((error: ServiceError) => {
      if (error.code !== status.ALREADY_EXISTS) throw error;
    });
    return true;
  });

  const history = new History();
  const events: FaultEvent[] = [];
  const schedule = drawSchedule(random.fork(), NODES, FAULT_MS);
  let lastId = 0;
  let faulting = true;
  const workload = { nodes, history, channels, running: () => faulting, nextId: () => ++lastId };
  const clientRandoms = Array.from({ length: CLIENTS }, () => random.fork());
  const snapshots = new SnapshotCounter();
  const onKilled = (node: TestNode) => snapshots.add(node);
  const nemesis = runNemesis(schedule, { nodes, network, random: random.fork(), now: () => history.now(), events, onKilled }).finally(() => (faulting = false));
  await Promise.all([nemesis, ...clientRandoms.map((r, i) => runClient(i, r, workload))]);

  // Every fault is repaired by now.
  await cluster.waitForLeader(nodes);
  const ids = history.writes().map((w) => w.id);
  const { digests, replicas } = await readSettledReplicas(cluster, nodes, ids, channels);
  for (const node of nodes) snapshots.add(node);
  const counts = tally(history, replicas[0]);
  const faults = events.reduce<Record<string, number>>((sum, e) => ({ ...sum, [e.kind]: (sum[e.kind] ?? 0) + 1 }), {});
  t.log(
    `ops ${counts.ops}: writes ${counts.writes}, reads ${counts.reads} (${counts.readsOk} ok); outcomes ok ${counts.ok}, failed ${counts.failed}, unknown ${counts.unknown}; ` +
      `faults ${events.length} ${JSON.stringify(faults)}; connections refused by partitions ${network.refused}; ` +
      `snapshots taken ${snapshots.taken}, installed from the leader ${snapshots.installed}; final applied index ${digests[0].appliedIndex}`,
  );
  t.log(`digests ${digests.map((d) => `${d.nodeId} ${d.digest.slice(0, 12)}@${d.appliedIndex}`).join(', ')}`);
  t.log(`errors ${JSON.stringify(counts.errors)}; unknown writes applied, by status code: ${JSON.stringify(counts.unknownApplied)}`);
  t.log(`faults: ${events.map((e) => `${(e.at / 1000).toFixed(1)}s ${e.kind} ${e.nodes.join('+')} ${e.holdMs}ms`).join('; ')}`);

  // For reading a run afterwards: every operation and fault, as JSON.
  if (process.env.FAULT_HISTORY) await writeFile(process.env.FAULT_HISTORY, JSON.stringify({ seed, events, ops: history.ops }, null, 1));

  const violations = check(history, replicas);
  const shown = violations.slice(0, SHOWN_VIOLATIONS).join('\n');
  const more = violations.length > SHOWN_VIOLATIONS ? `\n... and ${violations.length - SHOWN_VIOLATIONS} more` : '';
  t.is(violations.length, 0, `seed ${seed} (rerun with FAULT_SEED=${seed}): ${violations.length} violations\n${shown}${more}`);
  // A run where nothing succeeded would check nothing.
  t.true(counts.ok > 0 && counts.readsOk > 0, `seed ${seed}: the clients got no acknowledged writes or reads`);
});
