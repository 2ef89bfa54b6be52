/** The local cluster of configs/node1..3.yaml, shared by cluster-up and cluster-down. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../', import.meta.url));

export const LOCAL_NODES = [
  { name: 'node1', clusterAddr: '127.0.0.1:5002' },
  { name: 'node2', clusterAddr: '127.0.0.1:5012' },
  { name: 'node3', clusterAddr: '127.0.0.1:5022' },
];

export function pidFile(name: string): string {
  return join(repoRoot, 'cluster', 'data', `${name}.pid`);
}

/** True if `pid` is alive and is a cluster node (a recycled pid must never be signalled). */
export function isOurNode(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('cluster/node/main');
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}
