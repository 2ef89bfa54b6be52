/**
 * `npm run cluster:up`: starts the local 3-node cluster of configs/node1..3.yaml in the
 * background (data under cluster/data/, logs under cluster/logs/, each pid in
 * cluster/data/<node>.pid), waits for a leader with three voters and prints the cluster info.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import { ClusterServiceService, type ClusterInfoResponse } from '../src/gen/cluster/v1/cluster.js';
import { PeerClients } from '../cluster/server/peer-client.js';
import { LOCAL_NODES, isOurNode, pidFile, repoRoot } from './cluster-local.js';

const WAIT_MS = 60_000;

function start(name: string): void {
  const pidPath = pidFile(name);
  if (existsSync(pidPath) && isOurNode(Number(readFileSync(pidPath, 'utf8')))) {
    console.log(`${name}: already running (pid ${readFileSync(pidPath, 'utf8').trim()})`);
    return;
  }
  mkdirSync(join(repoRoot, 'cluster', 'logs'), { recursive: true });
  mkdirSync(join(repoRoot, 'cluster', 'data'), { recursive: true });
  const log = openSync(join(repoRoot, 'cluster', 'logs', `${name}.log`), 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', 'cluster/node/main.ts', '--config', `configs/${name}.yaml`], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', log, log],
  });
  writeFileSync(pidPath, `${child.pid}\n`);
  child.unref();
  console.log(`${name}: started (pid ${child.pid}), log cluster/logs/${name}.log`);
}

async function waitForCluster(): Promise<ClusterInfoResponse> {
  const peers = new PeerClients({ maxMessageBytes: 4 * 1024 * 1024 });
  const deadline = Date.now() + WAIT_MS;
  try {
    for (;;) {
      try {
        const info = await peers.call(LOCAL_NODES[0].clusterAddr, ClusterServiceService.getClusterInfo, {}, new Metadata(), 2_000);
        if (info.leaderId !== '' && info.nodes.filter((n) => n.isVoter).length === LOCAL_NODES.length) return info;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`no leader with ${LOCAL_NODES.length} voters after ${WAIT_MS / 1000} s; see cluster/logs/`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    peers.close();
  }
}

for (const node of LOCAL_NODES) start(node.name);
const info = await waitForCluster();
console.log(`\nleader: ${info.leaderId} (raft ${info.leaderAddr}, api ${info.leaderClusterAddr})`);
console.table(info.nodes.map((n) => ({ node: n.nodeId, state: n.state, voter: n.isVoter, raft: n.addr, api: n.clusterAddr })));
