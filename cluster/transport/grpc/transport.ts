/**
 * GrpcTransport: the Transport seam over gRPC (raft.proto). One server on this node's Raft
 * address receives; one PeerLink per member sends. See docs/raft-transport.md.
 */
import { ChannelCredentials, Metadata, Server, ServerCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { VectorXLiteError } from '../../../src/errors.js';
import { BearerTokenAuth } from '../../../src/server/auth.js';
import type { Member, Message, NodeId } from '../../consensus/types.js';
import { RaftTransportService } from '../../../src/gen/cluster/v1/raft.js';
import type { MessageHandler, Transport } from '../types.js';
import { resolveTransportOptions, SENDER_ADDR_HEADER, type GrpcTransportOptions, type ResolvedTransportOptions } from './options.js';
import { PeerLink } from './peer.js';
import { raftTransportHandlers } from './receiver.js';

/** How long close() lets calls being received finish before cutting them off. */
const SHUTDOWN_GRACE_MS = 1_000;

export class GrpcTransport implements Transport {
  private handler: MessageHandler | null = null;
  private readonly peers = new Map<NodeId, PeerLink>();
  private closing: Promise<void> | null = null;
  private readonly credentials: ChannelCredentials;
  private readonly channelOptions: ChannelOptions;

  private constructor(
    private readonly options: ResolvedTransportOptions,
    private readonly server: Server,
    /** The address the server is bound to (the port filled in when `listen` asked for 0). */
    readonly address: string,
  ) {
    const tls = options.tls;
    this.credentials = tls ? ChannelCredentials.createSsl(tls.ca, tls.key, tls.cert) : ChannelCredentials.createInsecure();
    this.channelOptions = {
      ...messageLimits(options),
      // A restarted peer must be reachable again within an election timeout or so, not after
      // grpc-js's default backoff of up to two minutes.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
    };
  }

  /** Validates the options, binds the Raft port and starts receiving. */
  static async listen(options: GrpcTransportOptions): Promise<GrpcTransport> {
    const resolved = resolveTransportOptions(options);
    const auth = resolved.token === undefined ? undefined : new BearerTokenAuth(resolved.token);
    const server = new Server(messageLimits(resolved));
    let transport: GrpcTransport | null = null;
    server.addService(
      RaftTransportService,
      raftTransportHandlers({ id: resolved.id, auth, hooks: resolved.hooks, handler: () => transport?.activeHandler() ?? null }),
    );
    const port = await bind(server, resolved.listen, serverCredentials(resolved)).catch((err: unknown) => {
      server.forceShutdown();
      throw err;
    });
    transport = new GrpcTransport(resolved, server, `${resolved.listen.slice(0, resolved.listen.lastIndexOf(':'))}:${port}`);
    return transport;
  }

  send(message: Message): void {
    if (this.closing !== null) {
      this.options.hooks.onDrop?.(message.to, 'closed', message.type);
      return;
    }
    const peer = this.peers.get(message.to);
    if (peer === undefined) this.options.hooks.onDrop?.(message.to, 'unknown-peer', message.type);
    else peer.enqueue(message);
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  /** Opens a channel to each new member (or to a member's new address) and closes those of removed ones. */
  setMembers(members: Member[]): void {
    if (this.closing !== null) return;
    const wanted = new Map(members.filter((m) => m.id !== this.options.id).map((m) => [m.id, m.raftAddr]));
    for (const [id, link] of this.peers) {
      if (wanted.get(id) !== link.address) {
        link.close('removed');
        this.peers.delete(id);
      }
    }
    for (const [id, address] of wanted) {
      if (this.peers.has(id)) continue;
      this.peers.set(
        id,
        new PeerLink({
          peer: id,
          address,
          credentials: this.credentials,
          channelOptions: this.channelOptions,
          options: this.options,
          metadata: () => this.callMetadata(),
        }),
      );
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private activeHandler(): MessageHandler | null {
    return this.closing === null ? this.handler : null;
  }

  private callMetadata(): Metadata {
    const metadata = new Metadata();
    metadata.set(SENDER_ADDR_HEADER, this.address);
    if (this.options.token !== undefined) metadata.set('authorization', `Bearer ${this.options.token}`);
    return metadata;
  }

  private async shutdown(): Promise<void> {
    for (const link of this.peers.values()) link.close('closed');
    this.peers.clear();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, SHUTDOWN_GRACE_MS);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function messageLimits(options: ResolvedTransportOptions): ChannelOptions {
  return { 'grpc.max_receive_message_length': options.maxMessageBytes, 'grpc.max_send_message_length': options.maxMessageBytes };
}

function serverCredentials(options: ResolvedTransportOptions): ServerCredentials {
  const tls = options.tls;
  if (tls === undefined) return ServerCredentials.createInsecure();
  // Peers connect as clients too: requiring their certificate keeps strangers off the port.
  return ServerCredentials.createSsl(tls.ca, [{ cert_chain: tls.cert, private_key: tls.key }], true);
}

function bind(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, port) => {
      if (err) reject(new VectorXLiteError('UNAVAILABLE', `cannot listen for Raft peers on ${address}: ${err.message}`, { cause: err }));
      else resolve(port);
    });
  });
}
