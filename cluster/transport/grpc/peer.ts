/**
 * The sending side towards one peer: its channel, a bounded queue, and up to `maxInFlight`
 * calls at once. Messages start in the order they were sent; calls on one channel reach the
 * peer in the order they start, so order is kept while several calls are pipelined.
 */
import type { ChannelCredentials, ChannelOptions, Metadata } from '@grpc/grpc-js';
import type { InstallSnapshot, Message, NodeId } from '../../consensus/types.js';
import { RaftTransportClient } from '../../../src/gen/cluster/v1/raft.js';
import { envelopeFromMessage } from './codec.js';
import type { DropReason, ResolvedTransportOptions } from './options.js';
import { snapshotChunks } from './snapshot-stream.js';

export interface PeerLinkSettings {
  peer: NodeId;
  address: string;
  credentials: ChannelCredentials;
  channelOptions: ChannelOptions;
  options: ResolvedTransportOptions;
  /** Fresh metadata for each call (grpc-js may modify what it is given). */
  metadata: () => Metadata;
}

interface Cancellable {
  cancel(): void;
}

export class PeerLink {
  readonly address: string;
  private readonly client: RaftTransportClient;
  private readonly queue: Message[] = [];
  private readonly calls = new Set<Cancellable>();
  private closed = false;

  constructor(private readonly settings: PeerLinkSettings) {
    this.address = settings.address;
    this.client = new RaftTransportClient(settings.address, settings.credentials, settings.channelOptions);
  }

  /** Never blocks: the message waits in the queue or is dropped (and counted) when it is full. */
  enqueue(message: Message): void {
    const { options, peer } = this.settings;
    if (this.queue.length >= options.queueLength) {
      options.hooks.onDrop?.(peer, 'queue-full', message.type);
      return;
    }
    this.queue.push(message);
    this.pump();
  }

  /** Drops what is queued, cancels calls in flight and closes the channel. */
  close(reason: DropReason): void {
    if (this.closed) return;
    this.closed = true;
    for (const message of this.queue.splice(0)) this.settings.options.hooks.onDrop?.(this.settings.peer, reason, message.type);
    for (const call of this.calls) call.cancel();
    this.client.close();
  }

  private pump(): void {
    while (!this.closed && this.calls.size < this.settings.options.maxInFlight && this.queue.length > 0) {
      const message = this.queue.shift() as Message;
      if (message.type === 'InstallSnapshot') this.sendSnapshot(message);
      else this.sendEnvelope(message);
    }
  }

  private settle(call: Cancellable, message: Message, ok: boolean): void {
    this.calls.delete(call);
    if (this.closed) return;
    this.settings.options.hooks.onSendResult?.(this.settings.peer, ok, message.type);
    this.pump();
  }

  private sendEnvelope(message: Exclude<Message, InstallSnapshot>): void {
    const deadline = Date.now() + this.settings.options.callTimeoutMs;
    const call: Cancellable = this.client.deliver(envelopeFromMessage(message), this.settings.metadata(), { deadline }, (err) =>
      this.settle(call, message, err === null),
    );
    this.calls.add(call);
  }

  private sendSnapshot(message: InstallSnapshot): void {
    const deadline = Date.now() + this.settings.options.snapshotTimeoutMs;
    let settled = false;
    const call = this.client.installSnapshot(this.settings.metadata(), { deadline }, (err) => {
      settled = true;
      this.settle(call, message, err === null);
    });
    this.calls.add(call);
    const chunks = snapshotChunks(message, this.settings.options.snapshotChunkBytes);
    // Writes only while the stream has room, so a large snapshot is never buffered twice.
    const writeMore = (): void => {
      while (!settled) {
        const next = chunks.next();
        if (next.done) {
          call.end();
          return;
        }
        if (!call.write(next.value)) {
          call.once('drain', writeMore);
          return;
        }
      }
    };
    writeMore();
  }
}
