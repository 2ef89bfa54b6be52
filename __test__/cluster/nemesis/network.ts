/**
 * The network between test nodes: one ConnectProxy per node for its outbound connections, and
 * the set of node pairs currently cut off from each other. Clients (the test itself) always
 * reach every node directly; only node-to-node traffic is partitioned.
 */
import type { ExecutionContext } from 'ava';
import { ConnectProxy } from '../helpers/proxy.js';
import type { TestNode } from '../helpers/cluster.js';

export class Network {
  private readonly proxies = new Map<string, ConnectProxy>();
  /** "a|b" when a's connections to b are cut (a may still hear from b unless "b|a" is cut too). */
  private readonly cut = new Set<string>();

  private constructor(private readonly nodes: readonly TestNode[]) {}

  /** One proxy per node, closed when the test ends (pass or fail). */
  static async create(t: ExecutionContext, nodes: readonly TestNode[]): Promise<Network> {
    const network = new Network(nodes);
    t.teardown(() => Promise.all([...network.proxies.values()].map((p) => p.close())).then(() => undefined));
    for (const node of nodes) {
      network.proxies.set(node.id, await ConnectProxy.start((target) => !network.cut.has(`${node.id}|${network.nodeAt(target)}`)));
    }
    return network;
  }

  /**
   * (Re)starts `node` with its outbound connections routed through its proxy. grpc-js reads
   * `grpc_proxy` when a channel is made, and spawn copies the environment synchronously, so
   * setting it only around the spawn leaves the test's own clients unproxied.
   */
  start(node: TestNode, options?: Parameters<TestNode['start']>[0]): TestNode {
    const saved = { grpc_proxy: process.env.grpc_proxy, no_grpc_proxy: process.env.no_grpc_proxy, no_proxy: process.env.no_proxy };
    process.env.grpc_proxy = this.proxies.get(node.id)!.url;
    delete process.env.no_grpc_proxy;
    delete process.env.no_proxy;
    try {
      return node.start(options);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  }

  /**
   * Cuts every link between a node in `side` and a node outside it: both directions, or with
   * `deafOnly` only connections towards `side`: its own calls still go out and are answered,
   * but no Raft message reaches it (replies to Raft messages are messages of their own).
   */
  partition(side: readonly TestNode[], deafOnly = false): void {
    const inside = new Set(side.map((n) => n.id));
    for (const a of this.nodes) {
      for (const b of this.nodes) {
        if (inside.has(a.id) === inside.has(b.id)) continue;
        if (!deafOnly || inside.has(b.id)) this.cut.add(`${a.id}|${b.id}`);
      }
    }
    for (const proxy of this.proxies.values()) proxy.enforce();
  }

  heal(): void {
    this.cut.clear();
  }

  /** Connections the proxies refused because of a partition. */
  get refused(): number {
    return [...this.proxies.values()].reduce((sum, p) => sum + p.refused, 0);
  }

  /** The id of the node listening at `target` (Raft or cluster address), or "" for anything else. */
  private nodeAt(target: string): string {
    return this.nodes.find((n) => n.raftAddr === target || n.clusterAddr === target)?.id ?? '';
  }
}
