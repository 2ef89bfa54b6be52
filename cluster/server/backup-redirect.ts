/**
 * withRedirectTrailers (redirect.ts) for server-streaming calls: a stream refused with a
 * NotLeaderHere naming a leader ends with `x-leader-addr` and `x-redirect: true` in its trailers,
 * so a client can resend it to the leader as it does unary calls.
 */
import type { handleServerStreamingCall, ServerWritableStream } from '@grpc/grpc-js';
import type { StatusObject } from '../../src/server/status.js';
import { NotLeaderHere } from '../runtime/raft-node.js';
import { LEADER_ADDR_METADATA_KEY, REDIRECT_METADATA_KEY } from './redirect.js';

type StreamHandler<Req, Res> = (request: Req, send: (message: Res) => Promise<void>, ...rest: never[]) => Promise<void>;

export function withStreamRedirectTrailers<Req, Res, H extends StreamHandler<Req, Res>>(
  handler: H,
  build: (handler: H) => handleServerStreamingCall<Req, Res>,
): handleServerStreamingCall<Req, Res> {
  return (call: ServerWritableStream<Req, Res>) => {
    let leader: string | undefined;
    const watched = (async (request: Req, send: (message: Res) => Promise<void>, ...rest: never[]) => {
      try {
        await handler(request, send, ...rest);
      } catch (error) {
        if (error instanceof NotLeaderHere) leader = error.leaderClusterAddr;
        throw error;
      }
    }) as H;
    // The adapter ends a failed stream with emit('error', status); decorate that status only.
    const emit = call.emit.bind(call);
    call.emit = (event: string | symbol, ...args: unknown[]): boolean => {
      const status = args[0] as Partial<StatusObject> | undefined;
      if (event === 'error' && leader && status?.metadata) {
        status.metadata.set(LEADER_ADDR_METADATA_KEY, leader);
        status.metadata.set(REDIRECT_METADATA_KEY, 'true');
      }
      return emit(event, ...args);
    };
    build(watched)(call);
  };
}
