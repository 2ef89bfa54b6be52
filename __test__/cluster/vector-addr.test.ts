/**
 * --vector-addr: a node whose data lives in a standalone VectorXLite server (a real server
 * process) replicates like the embedded nodes, catches up through InstallSnapshot into the
 * server (ImportSnapshot), and ends with the same state digest as its embedded peers.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { VectorXLiteClient } from '../../src/client/client.js';
import { spawnNodeScript } from '../helpers/child-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { ClusterMethods, FAST_RAFT, freePort, rpc, TestCluster, waitFor } from './helpers/cluster.js';

const SNAPSHOTS = ['--snapshot-threshold', '20', '--snapshot-trailing', '5'];
const vector = (i: number): number[] => [i, 2 * i, 1];

test('a node driving a standalone server replicates, restores snapshots into it and matches its peers', async (t) => {
  const serverPort = await freePort();
  const serverDir = await tempDir(t, 'vxl-standalone-');
  spawnNodeScript(t, 'src/server/main.ts', ['--host', '127.0.0.1', '--port', String(serverPort), '--data', join(serverDir, 'db.sqlite'), '--metrics-port', '0']);
  const server = new VectorXLiteClient(`127.0.0.1:${serverPort}`, { deadlineMs: 5_000 });
  t.teardown(() => server.close());
  await waitFor('the standalone server', async () => ((await server.listCollections()) ? true : undefined));
  const count = async (): Promise<number> => (await server.search({ collection: 'v', vector: vector(1), topK: 1000 })).length;

  const cluster = await TestCluster.create(t);
  const args = [...FAST_RAFT, ...SNAPSHOTS];
  const n1 = (await cluster.addNode('n1')).start({ bootstrap: true, args });
  const remote = (await cluster.addNode('n2')).start({ join: n1.clusterAddr, args: [...args, '--vector-addr', `127.0.0.1:${serverPort}`] });
  (await cluster.addNode('n3')).start({ join: n1.clusterAddr, args });
  await cluster.waitForVoters(3);
  let leader = await cluster.waitForLeader();

  await rpc(remote.clusterAddr, ClusterMethods.createCollection, { collectionName: 'v', distance: 'l2', vectorDimension: 3, payloadTableSchema: '', indexFilePath: '' });
  for (let i = 1; i <= 10; i++) await rpc(leader.clusterAddr, ClusterMethods.insert, { collectionName: 'v', id: i, vector: vector(i), payloadInsertQuery: '' });
  await waitFor('the standalone server to hold the writes', async () => ((await count()) === 10 ? true : undefined));

  await remote.kill();
  await rm(remote.dataDir, { recursive: true, force: true });
  leader = await cluster.waitForLeader();
  for (let i = 11; i <= 70; i++) await rpc(leader.clusterAddr, ClusterMethods.insert, { collectionName: 'v', id: i, vector: vector(i), payloadInsertQuery: '' });
  remote.start();
  await waitFor('the standalone server to be rebuilt with every write', async () => ((await count()) === 70 ? true : undefined));
  t.true(remote.logs().some((l) => l.msg === 'snapshot installed from the leader'), 'the remote node caught up by snapshot');
  const digests = await cluster.settled();
  t.true(digests.every((d) => d.digest === digests[0].digest), 'the standalone server holds exactly what the embedded replicas hold');
});
