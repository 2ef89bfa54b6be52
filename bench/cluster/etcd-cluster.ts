/**
 * The reference: a 3-member etcd cluster (Debian's etcd-server) as 3 processes on loopback
 * ports, each with a data dir in one temp folder, at etcd's default settings (fsync on).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { spawnChild, tempDir, type Child } from './children.js';
import { freePort } from './ports.js';
import { waitUntil } from './wait.js';

const ETCD = 'etcd';

export interface EtcdCluster {
  version: string;
  endpoints: string[];
  /** The leader's client URL: the benchmark talks to the leader, as ClusterClient does on our side. */
  leaderEndpoint: string;
  stop(): Promise<void>;
}

/** "3.4.23", or a message saying how to install etcd. */
export function etcdVersion(): string {
  try {
    const text = execFileSync(ETCD, ['--version'], { encoding: 'utf8' });
    return /etcd Version: (\S+)/.exec(text)?.[1] ?? text.split('\n')[0]!;
  } catch {
    throw new Error(`the benchmark needs etcd on the PATH for its reference cluster: apt-get install -y etcd-server`);
  }
}

export async function startEtcdCluster(size: number): Promise<EtcdCluster> {
  const version = etcdVersion();
  const root = tempDir('vxl-bench-etcd-');
  const members = [];
  for (let i = 1; i <= size; i++) {
    members.push({ name: `etcd${i}`, client: `http://127.0.0.1:${await freePort()}`, peer: `http://127.0.0.1:${await freePort()}` });
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peer}`).join(',');
  const children: Child[] = members.map((m) =>
    spawnChild(m.name, ETCD, [
      '--name', m.name,
      '--data-dir', join(root, m.name),
      '--listen-client-urls', m.client,
      '--advertise-client-urls', m.client,
      '--listen-peer-urls', m.peer,
      '--initial-advertise-peer-urls', m.peer,
      '--initial-cluster', initialCluster,
      '--initial-cluster-state', 'new',
      '--initial-cluster-token', 'vectorxlite-bench',
      '--logger', 'zap',
      '--log-level', 'warn',
    ]),
  );
  const endpoints = members.map((m) => m.client);
  const probe = new Etcd3({ hosts: endpoints, defaultCallOptions: () => ({ deadline: Date.now() + 3_000 }) });
  try {
    const leaderEndpoint = await waitUntil('an etcd leader', children, async () => {
      const status = await probe.maintenance.status();
      if (status.leader === '0') return undefined;
      const { members: listed } = await probe.cluster.memberList({});
      if (listed.length !== size) return undefined;
      return listed.find((m) => m.ID === status.leader)?.clientURLs[0];
    });
    return { version, endpoints, leaderEndpoint, stop: async () => void (await Promise.all(children.map((child) => child.stop()))) };
  } finally {
    probe.close();
  }
}
