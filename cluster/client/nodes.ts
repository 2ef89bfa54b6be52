/**
 * The client's view of the cluster: one channel per node address, the node believed to lead,
 * and the node that serves reads that do not need the leader. Knows nothing about retries.
 */
import { Metadata } from '@grpc/grpc-js';
import { channelFor, type ClientOptions } from '../../src/client/client.js';
import { ClusterServiceClient, type ClusterInfoResponse } from '../../src/gen/cluster/v1/cluster.js';

export class ClusterNodes {
  /** Every cluster API address heard of: the ones given first, then ones learned. */
  private readonly known: string[];
  private readonly stubs = new Map<string, ClusterServiceClient>();
  /** Where leader-bound calls go; the first given address until a redirect or discovery says otherwise. */
  private leaderGuess: string | undefined;
  private localIndex = 0;

  constructor(
    addresses: readonly string[],
    private readonly options: ClientOptions,
  ) {
    this.known = [...new Set(addresses)];
    this.leaderGuess = this.known[0];
  }

  get leader(): string | undefined {
    return this.leaderGuess;
  }

  /** The node for reads any node may serve (consistency `none`, cluster info). */
  get local(): string {
    return this.known[this.localIndex % this.known.length];
  }

  get addresses(): readonly string[] {
    return this.known;
  }

  stub(address: string): ClusterServiceClient {
    let stub = this.stubs.get(address);
    if (stub === undefined) {
      const channel = channelFor(this.options);
      stub = new ClusterServiceClient(address, channel.credentials, channel.options);
      this.stubs.set(address, stub);
    }
    return stub;
  }

  metadata(): Metadata {
    const metadata = new Metadata();
    if (this.options.token !== undefined) metadata.set('authorization', `Bearer ${this.options.token}`);
    return metadata;
  }

  /** A node named the leader (redirect or cluster info). */
  leaderIs(address: string): void {
    this.learn(address);
    this.leaderGuess = address;
  }

  /** The leader did not answer: find it again before the next leader-bound call. */
  leaderLost(): void {
    this.leaderGuess = undefined;
  }

  /** The local node did not answer: use the next known one. */
  localLost(): void {
    this.localIndex = (this.localIndex + 1) % this.known.length;
  }

  /** Records the members' addresses and the leader a node reported. */
  absorb(info: ClusterInfoResponse): void {
    for (const node of info.nodes) if (node.clusterAddr) this.learn(node.clusterAddr);
    if (info.leaderClusterAddr) this.leaderIs(info.leaderClusterAddr);
  }

  close(): void {
    for (const stub of this.stubs.values()) stub.close();
    this.stubs.clear();
  }

  private learn(address: string): void {
    if (!this.known.includes(address)) this.known.push(address);
  }
}
