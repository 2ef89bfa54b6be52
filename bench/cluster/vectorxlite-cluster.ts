/**
 * A local VectorXLite cluster for the benchmark: `vectorxlite-cluster` processes at their
 * default Raft settings on loopback ports, each with a data dir in one temp folder. node1
 * bootstraps, the others join through it, as docs/cluster.md describes.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClusterClient } from '../../cluster/client/index.js';
import { spawnChild, tempDir, type Child } from './children.js';
import { freeAddress } from './ports.js';
import { waitUntil } from './wait.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const NODE_MAIN = 'cluster/node/main.ts';
/** Extra Node.js flags for the node processes, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile them. */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');

export interface VectorXLiteCluster {
  /** Cluster API addresses, node1 first. */
  addresses: string[];
  stop(): Promise<void>;
}

export async function startVectorXLiteCluster(size: number): Promise<VectorXLiteCluster> {
  const root = tempDir('vxl-bench-cluster-');
  const children: Child[] = [];
  const addresses: string[] = [];
  const start = async (id: string, role: string[]): Promise<void> => {
    const clusterAddr = await freeAddress();
    const args = ['--id', id, '--raft-addr', await freeAddress(), '--cluster-addr', clusterAddr, '--data-dir', join(root, id), '--log-level', 'warn', ...role];
    children.push(spawnChild(`vectorxlite ${id}`, process.execPath, [...NODE_ARGS, '--import', 'tsx', NODE_MAIN, ...args], repoRoot));
    addresses.push(clusterAddr);
  };

  await start('node1', ['--bootstrap']);
  const probe = new ClusterClient(addresses.slice(), { deadlineMs: 3_000, retry: { attempts: 1 } });
  try {
    await waitUntil('node1 to lead its one-node cluster', children, async () => ((await probe.clusterInfo()).leaderId === 'node1' ? true : undefined));
    for (let i = 2; i <= size; i++) await start(`node${i}`, ['--join', addresses[0]!]);
    await waitUntil(`${size} voters`, children, async () => {
      const info = await probe.clusterInfo();
      return info.leaderId !== '' && info.nodes.filter((n) => n.isVoter).length === size ? true : undefined;
    });
  } finally {
    await probe.close();
  }
  return { addresses, stop: async () => void (await Promise.all(children.map((child) => child.stop()))) };
}
