/** /metrics and /health of real nodes: the Raft and cluster series, liveness and readiness. */
import test from 'ava';
import { ClusterMethods, FAST_RAFT, freePort, rpc, TestCluster, waitFor } from './helpers/cluster.js';

async function get(port: number, path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, text: await response.text() };
}

test('metrics name every Raft and cluster series; ready once a leader is known and caught up', async (t) => {
  const cluster = await TestCluster.create(t);
  const ports = [await freePort(), await freePort()];
  const n1 = (await cluster.addNode('n1')).start({ bootstrap: true, args: [...FAST_RAFT, '--metrics-port', String(ports[0])] });
  const n2 = (await cluster.addNode('n2')).start({ join: n1.clusterAddr, args: [...FAST_RAFT, '--metrics-port', String(ports[1])] });
  await cluster.waitForVoters(2);
  const leader = await cluster.waitForLeader();
  await rpc(n2.clusterAddr, ClusterMethods.createCollection, { collectionName: 'o', distance: 'l2', vectorDimension: 2, payloadTableSchema: '', indexFilePath: '' });
  await rpc(leader.clusterAddr, ClusterMethods.insert, { collectionName: 'o', id: 1, vector: [1, 1], payloadInsertQuery: '' });

  for (const port of ports) {
    t.deepEqual(await get(port, '/health/live'), { status: 200, text: '{"status":"ok"}\n' });
    await waitFor('readiness', async () => ((await get(port, '/health/ready')).status === 200 ? true : undefined));
  }
  const leaderPort = ports[cluster.nodes.indexOf(leader)];
  const followerPort = ports[1 - cluster.nodes.indexOf(leader)];
  const leaderMetrics = (await get(leaderPort, '/metrics')).text;
  for (const series of [
    /^raft_term_number\{node_id="n\d"\} [1-9]/m,
    /^raft_commit_index\{node_id="n\d"\} [1-9]/m,
    /^raft_applied_index\{node_id="n\d"\} [1-9]/m,
    /^raft_leader_changes_total\{node_id="n\d"\} [1-9]/m,
    /^raft_append_entries_total\{status="success",node_id="n\d"\} [1-9]/m,
    /^raft_log_replication_lag\{follower_id="n\d",node_id="n\d"\} \d/m,
    new RegExp(`^cluster_node_status\\{node_id="${leader.id}",role="leader"\\} 1`, 'm'),
    /^cluster_nodes_total\{node_id="n\d"\} 2/m,
    /^cluster_healthy_nodes\{node_id="n\d"\} 2/m,
    /^cluster_leader_redirects_total\{node_id="n\d"\} \d/m,
  ]) {
    t.regex(leaderMetrics, series);
  }
  // The follower may apply the insert a moment after the leader acknowledged it.
  const followerMetrics = await waitFor('the follower to report the collection', async () => {
    const text = (await get(followerPort, '/metrics')).text;
    return /^vectordb_collection_size\{collection="o",node_id="n\d"\} 1/m.test(text) ? text : undefined;
  });
  t.regex(followerMetrics, /^cluster_leader_redirects_total\{node_id="n\d"\} [1-9]/m, 'the follower counted the forwarded write');
});
