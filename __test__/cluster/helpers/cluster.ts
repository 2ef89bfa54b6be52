/**
 * Real cluster nodes for tests: `vectorxlite-cluster` processes on 127.0.0.1 ports the OS
 * handed out, each with a temp data dir, all killed by their own pids when the test ends
 * (pass or fail). Also a small gRPC client for the cluster API and the admin service.
 */
import { join } from 'node:path';
import { ChannelCredentials, Client, Metadata, type ServiceError } from '@grpc/grpc-js';
import type { ExecutionContext } from 'ava';
import { ClusterServiceService, ReadConsistency, type ClusterInfoResponse } from '../../../src/gen/cluster/v1/cluster.js';
import { ClusterAdminService, type StateDigestResponse } from '../../../cluster/server/admin-proto.js';
import type { UnaryMethod } from '../../../cluster/server/peer-client.js';
import { spawnNodeScript, type NodeChild } from '../../helpers/child-process.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { freePort } from '../../helpers/ports.js';

const MAIN = 'cluster/node/main.ts';
/** Only keeps a broken cluster from hanging the suite; no test asserts these durations. */
export const WAIT_LIMIT_MS = 60_000;

/** Short timeouts for tests that are not about the default settings. */
export const FAST_RAFT = ['--tick-ms', '50', '--election-ticks', '10'];

export { freePort };

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns a defined value (errors count as not yet). */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, limitMs = WAIT_LIMIT_MS): Promise<T> {
  const deadline = Date.now() + limitMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(100);
  }
}

export const ClusterMethods = ClusterServiceService;
export const StateDigestMethod = ClusterAdminService.StateDigest as unknown as UnaryMethod<Record<string, never>, StateDigestResponse>;

/** How test calls reach nodes that require a token or TLS. */
export interface ClientAuth {
  token?: string;
  /** Trust root for the nodes' certificates; plaintext when absent. */
  ca?: Buffer;
}

export interface RpcOptions extends ClientAuth {
  metadata?: Metadata;
  timeoutMs?: number;
}

/** One unary call; rejects with the grpc-js ServiceError (its trailers included). */
export function rpc<Req, Res>(address: string, method: UnaryMethod<Req, Res>, request: Req, options: RpcOptions = {}): Promise<Res> {
  const client = new Client(address, options.ca ? ChannelCredentials.createSsl(options.ca) : ChannelCredentials.createInsecure());
  const metadata = options.metadata?.clone() ?? new Metadata();
  if (options.token !== undefined) metadata.set('authorization', `Bearer ${options.token}`);
  return new Promise<Res>((resolve, reject) => {
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      metadata,
      { deadline: Date.now() + (options.timeoutMs ?? 10_000) },
      (error: ServiceError | null, response?: Res) => (error ? reject(error) : resolve(response as Res)),
    );
  }).finally(() => client.close());
}

export interface NodeStartOptions {
  bootstrap?: boolean;
  join?: string;
  /** Extra flags, e.g. --no-forward or timing settings. */
  args?: string[];
}

export class TestNode {
  child: NodeChild | undefined;
  paused = false;
  private startOptions: NodeStartOptions = {};

  constructor(
    private readonly t: ExecutionContext,
    readonly id: string,
    readonly raftAddr: string,
    readonly clusterAddr: string,
    readonly dataDir: string,
    /** What the helper's own calls (info, digest) present. */
    readonly auth: ClientAuth = {},
  ) {}

  /** Starts the process (again, with the same command line as before when no options are given). */
  start(options?: NodeStartOptions): TestNode {
    if (options) this.startOptions = options;
    const o = this.startOptions;
    const args = ['--id', this.id, '--raft-addr', this.raftAddr, '--cluster-addr', this.clusterAddr, '--data-dir', this.dataDir, '--log-level', 'debug'];
    if (o.bootstrap) args.push('--bootstrap');
    if (o.join) args.push('--join', o.join);
    args.push(...(o.args ?? []));
    this.child = spawnNodeScript(this.t, MAIN, args);
    this.paused = false;
    return this;
  }

  get running(): boolean {
    return this.child?.running ?? false;
  }

  /** kill -9, by this process's pid. */
  async kill(): Promise<void> {
    await this.child?.kill('SIGKILL');
  }

  /** SIGTERM and wait for the exit status. */
  async terminate(): Promise<number | null> {
    const status = await this.child?.kill('SIGTERM');
    return status?.code ?? null;
  }

  pause(): void {
    process.kill(this.child!.pid, 'SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    process.kill(this.child!.pid, 'SIGCONT');
    this.paused = false;
  }

  info(): Promise<ClusterInfoResponse> {
    return rpc(this.clusterAddr, ClusterMethods.getClusterInfo, {}, { ...this.auth, timeoutMs: 3_000 });
  }

  digest(): Promise<StateDigestResponse> {
    return rpc(this.clusterAddr, StateDigestMethod, {}, { ...this.auth, timeoutMs: 20_000 });
  }

  /** Stdout lines (pino JSON) parsed; lines that are not JSON are skipped. */
  logs(): Array<Record<string, unknown>> {
    const parsed: Array<Record<string, unknown>> = [];
    for (const line of this.child?.lines ?? []) {
      try {
        parsed.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        continue;
      }
    }
    return parsed;
  }
}

export class TestCluster {
  readonly nodes: TestNode[] = [];

  private constructor(
    private readonly t: ExecutionContext,
    private readonly root: string,
    private readonly auth: ClientAuth,
  ) {}

  static async create(t: ExecutionContext, auth: ClientAuth = {}): Promise<TestCluster> {
    const cluster = new TestCluster(t, await tempDir(t, 'vxl-cluster-'), auth);
    // SIGKILL ends stopped processes too, but resume first so nothing lingers half-stopped.
    t.teardown(() => {
      for (const n of cluster.nodes) if (n.paused && n.running) n.resume();
    });
    return cluster;
  }

  /** A node with fresh ports and its own data dir; not started yet. */
  async addNode(id: string): Promise<TestNode> {
    const node = new TestNode(this.t, id, `127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`, join(this.root, id), this.auth);
    this.nodes.push(node);
    return node;
  }

  /** n1 bootstraps, the others join through it; resolves when all are voters under one leader. */
  static async start(t: ExecutionContext, size: number, args: string[] = FAST_RAFT, auth: ClientAuth = {}): Promise<TestCluster> {
    const cluster = await TestCluster.create(t, auth);
    const first = (await cluster.addNode('n1')).start({ bootstrap: true, args });
    for (let i = 2; i <= size; i++) (await cluster.addNode(`n${i}`)).start({ join: first.clusterAddr, args });
    await cluster.waitForVoters(size);
    return cluster;
  }

  node(id: string): TestNode {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  live(): TestNode[] {
    return this.nodes.filter((n) => n.running && !n.paused);
  }

  /** Waits until every node in `among` names the same leader, which is one of them, and returns it. */
  async waitForLeader(among: TestNode[] = this.live(), limitMs = WAIT_LIMIT_MS): Promise<TestNode> {
    return waitFor(
      'one leader all agree on',
      async () => {
        const infos = await Promise.all(among.map((n) => n.info()));
        const leaderId = infos[0].leaderId;
        if (leaderId === '' || !infos.every((i) => i.leaderId === leaderId)) return undefined;
        return among.find((n) => n.id === leaderId);
      },
      limitMs,
    );
  }

  async waitForVoters(count: number): Promise<ClusterInfoResponse> {
    try {
      return await waitFor(`${count} voters`, async () => {
        const leader = await this.waitForLeader();
        const info = await leader.info();
        return info.nodes.filter((n) => n.isVoter).length === count ? info : undefined;
      });
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${this.describe()}`);
    }
  }

  /** Each node's process state and its last words, for a failure message. */
  describe(): string {
    return this.nodes
      .map((n) => {
        const state = n.child === undefined ? 'not started' : n.running ? (n.paused ? 'paused' : 'running') : 'exited';
        const lastLog = n.child?.lines.at(-1) ?? '';
        const stderr = n.child?.stderr.trim().split('\n').slice(-5).join('\n') ?? '';
        return `${n.id} (${n.clusterAddr}): ${state}\n  last log: ${lastLog}${stderr ? `\n  stderr: ${stderr}` : ''}`;
      })
      .join('\n');
  }

  /** Waits until `nodes` have all applied the same index (everything they know committed) and returns each one's digest. */
  async settled(nodes: TestNode[] = this.live()): Promise<StateDigestResponse[]> {
    return waitFor('replicas to apply the same entries', async () => {
      const digests = await Promise.all(nodes.map((n) => n.digest()));
      const applied = digests[0].appliedIndex;
      return applied > 0 && digests.every((d) => d.appliedIndex === applied && d.commitIndex === applied) ? digests : undefined;
    });
  }
}

export { ReadConsistency };
