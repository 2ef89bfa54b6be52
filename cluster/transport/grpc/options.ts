/** Settings of a GrpcTransport, their defaults, and the one function that checks them. */
import { VectorXLiteError } from '../../../src/errors.js';
import type { MessageType, NodeId } from '../../consensus/types.js';

/** PEM material; with it the Raft port speaks mutual TLS only. */
export interface TransportTls {
  /** This node's certificate chain: presented as server and, to peers, as client. */
  cert: Buffer;
  key: Buffer;
  /** The CA (or the shared self-signed certificate) that peers' certificates must chain to. */
  ca: Buffer;
}

/** Call metadata carrying the sender's own Raft address, so a node outside any configuration can answer it. */
export const SENDER_ADDR_HEADER = 'x-raft-sender-addr';

/** Why a message was dropped before any call carried it. */
export type DropReason = 'unknown-peer' | 'queue-full' | 'removed' | 'closed';

/** Why an incoming call was refused; the message it carried was not delivered. */
export type RejectReason = 'unauthenticated' | 'malformed' | 'checksum' | 'misaddressed' | 'not-ready';

/**
 * Plain callbacks so the node can count transport events in its own metrics registry without
 * the transport depending on one. They run synchronously; keep them cheap and never throw.
 */
export interface TransportHooks {
  /** A call to a peer settled: `ok` false when the peer did not accept it (unreachable, refused, timed out). */
  onSendResult?(peer: NodeId, ok: boolean, type: MessageType): void;
  onDrop?(peer: NodeId, reason: DropReason, type: MessageType): void;
  onReject?(reason: RejectReason, detail: string): void;
}

export interface GrpcTransportOptions {
  /** This node's id: messages addressed to another id are refused. */
  id: NodeId;
  /** host:port to listen on; port 0 picks a free port (read it back from `address`). */
  listen: string;
  /** The cluster token: peers must present `authorization: Bearer <token>`, and this node presents it. */
  token?: string;
  tls?: TransportTls;
  /** Largest message sent or accepted, in bytes (an AppendEntries batch, a snapshot chunk). */
  maxMessageBytes?: number;
  /** Snapshot data bytes per InstallSnapshot chunk. */
  snapshotChunkBytes?: number;
  /** Messages waiting per peer before new ones are dropped. */
  queueLength?: number;
  /** Calls in flight per peer; more wait in the queue. */
  maxInFlight?: number;
  /** Deadline of one message's call. */
  callTimeoutMs?: number;
  /** Deadline of one whole snapshot transfer. */
  snapshotTimeoutMs?: number;
  hooks?: TransportHooks;
}

export type ResolvedTransportOptions = Required<Omit<GrpcTransportOptions, 'token' | 'tls'>> & Pick<GrpcTransportOptions, 'token' | 'tls'>;

export const TRANSPORT_DEFAULTS = {
  maxMessageBytes: 64 * 1024 * 1024,
  snapshotChunkBytes: 1024 * 1024,
  queueLength: 4096,
  maxInFlight: 64,
  callTimeoutMs: 5_000,
  snapshotTimeoutMs: 300_000,
} as const;

function positiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new VectorXLiteError('INVALID_ARGUMENT', `${name} must be a positive integer, got ${value}`);
  }
}

export function resolveTransportOptions(options: GrpcTransportOptions): ResolvedTransportOptions {
  // An option given as undefined (e.g. straight from a config file) takes its default.
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as GrpcTransportOptions;
  const resolved = { ...TRANSPORT_DEFAULTS, hooks: {}, ...given };
  if (resolved.id === '') throw new VectorXLiteError('INVALID_ARGUMENT', 'id must be this node\'s non-empty id');
  if (!/^.+:\d+$/.test(resolved.listen)) {
    throw new VectorXLiteError('INVALID_ARGUMENT', `listen must be host:port (port 0 for any free port), got "${resolved.listen}"`);
  }
  if (resolved.token === '') throw new VectorXLiteError('INVALID_ARGUMENT', 'token must not be empty: leave it out to run without one');
  for (const key of ['maxMessageBytes', 'snapshotChunkBytes', 'queueLength', 'maxInFlight', 'callTimeoutMs', 'snapshotTimeoutMs'] as const) {
    positiveInteger(key, resolved[key]);
  }
  // A chunk travels with its protobuf framing; leave room for it under the message limit.
  if (resolved.snapshotChunkBytes > resolved.maxMessageBytes - 1024) {
    throw new VectorXLiteError('INVALID_ARGUMENT', 'snapshotChunkBytes must be at least 1 KiB below maxMessageBytes');
  }
  return resolved;
}
