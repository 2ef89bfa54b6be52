/**
 * `npm run cluster:down`: SIGTERM to each local node recorded in cluster/data/<node>.pid (a
 * leader hands over leadership first), waits for each to exit, and reports.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { LOCAL_NODES, isOurNode, pidFile } from './cluster-local.js';

const WAIT_MS = 20_000;

async function stop(name: string): Promise<void> {
  const path = pidFile(name);
  if (!existsSync(path)) {
    console.log(`${name}: not running (no pid file)`);
    return;
  }
  const pid = Number(readFileSync(path, 'utf8'));
  if (!isOurNode(pid)) {
    console.log(`${name}: not running (pid ${pid} gone)`);
    rmSync(path, { force: true });
    return;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + WAIT_MS;
  while (isOurNode(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (isOurNode(pid)) {
    console.log(`${name}: pid ${pid} still running ${WAIT_MS / 1000} s after SIGTERM; see cluster/logs/${name}.log (kill -9 ${pid} to force)`);
    return;
  }
  rmSync(path, { force: true });
  console.log(`${name}: stopped (pid ${pid})`);
}

// One at a time, so each leader that goes hands over to a node that is still up.
for (const node of LOCAL_NODES) await stop(node.name);
