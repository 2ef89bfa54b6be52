/**
 * RaftNode in-process over real stores, transport and engine: a bootstrapped node elects
 * itself and applies writes; reopening the same data dir resumes it (bootstrap ignored) with
 * its data rebuilt; a node without a cluster refuses writes with UNAVAILABLE; close() is
 * idempotent and later calls reject with CLOSED.
 */
import test from 'ava';
import { createLogger } from '../../src/observability/logger.js';
import { NotLeaderHere, RaftNode, type RaftNodeOptions } from '../../cluster/runtime/raft-node.js';
import { tempDir } from '../helpers/temp-dir.js';
import { freePort, waitFor } from './helpers/cluster.js';

async function options(dataDir: string, overrides: Partial<RaftNodeOptions> = {}): Promise<RaftNodeOptions> {
  const address = `127.0.0.1:${await freePort()}`;
  return {
    id: 'solo',
    raftAddr: address,
    clusterAddr: '127.0.0.1:1',
    dataDir,
    bootstrap: true,
    maxMessageBytes: 4 * 1024 * 1024,
    tickMs: 20,
    electionTicks: 10,
    heartbeatTicks: 1,
    snapshotThreshold: 1_000,
    snapshotTrailing: 10,
    logger: createLogger({ level: 'silent' }),
    onFatal: (error) => {
      throw error;
    },
    ...overrides,
  };
}

test('a bootstrapped node leads, applies writes, and resumes from its data dir', async (t) => {
  const dir = await tempDir(t);
  const opts = await options(dir);
  const node = await RaftNode.open(opts);
  t.teardown(() => node.close());
  t.true(node.fresh);
  await waitFor('self-election', () => (node.isLeader ? true : undefined));
  await node.write({ type: 'createCollection', collection: { name: 'c', dimension: 2, distance: 'l2' } });
  await node.write({ type: 'insert', collection: 'c', point: { id: 7, vector: Float32Array.of(1, 2) } });
  await node.readBarrier();
  t.deepEqual((await node.engine.search({ collection: 'c', vector: [1, 2], topK: 5 })).map((h) => h.id), [7]);
  await t.throwsAsync(node.write({ type: 'insert', collection: 'c', point: { id: 8, vector: Float32Array.of(1, 2, 3) } }), { code: 'DIMENSION_MISMATCH' });
  const { digest } = await node.digest();
  await node.close();
  await node.close();
  await t.throwsAsync(node.write({ type: 'delete', collection: 'c', id: 7 }), { code: 'CLOSED' });

  const again = await RaftNode.open(opts);
  t.teardown(() => again.close());
  t.false(again.fresh, 'the data dir holds Raft state: --bootstrap no longer applies');
  await waitFor('re-election', () => (again.isLeader ? true : undefined));
  t.is((await again.digest()).digest, digest, 'the engine was rebuilt from the log');
  t.deepEqual(again.status().membership.members.map((m) => m.id), ['solo']);
});

test('a node that belongs to no cluster refuses writes with UNAVAILABLE', async (t) => {
  const node = await RaftNode.open(await options(await tempDir(t), { bootstrap: false }));
  t.teardown(() => node.close());
  t.true(node.fresh);
  const error = await t.throwsAsync(node.write({ type: 'deleteCollection', collection: 'c' }));
  t.true(error instanceof NotLeaderHere);
  t.is((error as NotLeaderHere).code, 'UNAVAILABLE');
  t.is((error as NotLeaderHere).leaderClusterAddr, undefined);
});
