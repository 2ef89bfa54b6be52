/**
 * The receiving side: RaftTransport handlers that authenticate each call, decode and check its
 * message, and hand it to the node. A refused call ends with an error status and delivers nothing.
 */
import { status, type Metadata, type ServerErrorResponse, type StatusObject } from '@grpc/grpc-js';
import type { BearerTokenAuth } from '../../../src/server/auth.js';
import type { Message, NodeId } from '../../consensus/types.js';
import type { MessageHandler } from '../types.js';
import type { RaftTransportServer } from '../../../src/gen/cluster/v1/raft.js';
import { MalformedMessageError, messageFromEnvelope } from './codec.js';
import { SENDER_ADDR_HEADER, type RejectReason, type TransportHooks } from './options.js';
import { SnapshotAssembler } from './snapshot-stream.js';

export interface ReceiverSettings {
  id: NodeId;
  auth: BearerTokenAuth | undefined;
  hooks: TransportHooks;
  /** The node's handler, or null before it registers one and after close. */
  handler: () => MessageHandler | null;
}

class Refusal extends Error {
  constructor(
    readonly reason: RejectReason,
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

function refusalFor(err: unknown): Refusal {
  if (err instanceof Refusal) return err;
  if (err instanceof MalformedMessageError) {
    return err.kind === 'checksum' ? new Refusal('checksum', status.DATA_LOSS, err.message) : new Refusal('malformed', status.INVALID_ARGUMENT, err.message);
  }
  throw err;
}

/** The Raft address the sending node listens on (SENDER_ADDR_HEADER), when it sent one. */
function senderRaftAddr(metadata: Metadata): string | undefined {
  const value = metadata.get(SENDER_ADDR_HEADER)[0];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function raftTransportHandlers(settings: ReceiverSettings): RaftTransportServer {
  const admit = (metadata: Metadata): void => {
    try {
      settings.auth?.check(metadata);
    } catch (err) {
      throw new Refusal('unauthenticated', status.UNAUTHENTICATED, (err as Error).message);
    }
  };

  /** The node's handler for `message`, once the message is known to be for this node. */
  const recipient = (message: Message): MessageHandler => {
    if (message.to !== settings.id) {
      throw new Refusal('misaddressed', status.FAILED_PRECONDITION, `message for ${message.to} reached node ${settings.id}`);
    }
    const handler = settings.handler();
    if (handler === null) throw new Refusal('not-ready', status.UNAVAILABLE, `node ${settings.id} is not taking messages`);
    return handler;
  };

  const refuse = (err: unknown): Partial<StatusObject> => {
    const refusal = refusalFor(err);
    settings.hooks.onReject?.(refusal.reason, refusal.message);
    return { code: refusal.code, details: refusal.message };
  };

  return {
    deliver(call, callback) {
      let message: Message;
      let handler: MessageHandler;
      try {
        admit(call.metadata);
        message = messageFromEnvelope(call.request);
        handler = recipient(message);
      } catch (err) {
        callback(refuse(err) as ServerErrorResponse);
        return;
      }
      callback(null, {});
      handler(message, senderRaftAddr(call.metadata));
    },

    installSnapshot(call, callback) {
      let settled = false;
      const fail = (err: unknown): void => {
        if (settled) return;
        settled = true;
        callback(refuse(err) as ServerErrorResponse);
      };
      try {
        admit(call.metadata);
      } catch (err) {
        fail(err);
        return;
      }
      const assembler = new SnapshotAssembler();
      call.on('data', (chunk) => {
        if (settled) return;
        try {
          assembler.push(chunk);
        } catch (err) {
          fail(err);
        }
      });
      call.on('end', () => {
        if (settled) return;
        let message: Message;
        let handler: MessageHandler;
        try {
          message = assembler.finish();
          handler = recipient(message);
        } catch (err) {
          fail(err);
          return;
        }
        settled = true;
        callback(null, {});
        handler(message, senderRaftAddr(call.metadata));
      });
      // The sender cancelled or its deadline passed: nothing is delivered and no reply is due.
      call.on('cancelled', () => {
        settled = true;
      });
    },
  };
}
