/**
 * The redirect trailers of WIRE.md: a write refused by a follower carries the leader's
 * cluster address so that clients can resend it there.
 */
import type { handleUnaryCall, Metadata } from '@grpc/grpc-js';
import { LEADER_ADDR_METADATA_KEY, REDIRECT_METADATA_KEY } from '../metadata-keys.js';
import { NotLeaderHere } from '../runtime/raft-node.js';

export { LEADER_ADDR_METADATA_KEY, REDIRECT_METADATA_KEY };

type AsyncHandler<Req, Res> = (request: Req, ...rest: never[]) => Promise<Res>;

/**
 * Wraps `build(handler)` (a CallAdapter.unary handler) so that a NotLeaderHere naming a leader
 * adds `x-leader-addr` and `x-redirect: true` to the trailers of the error status. The adapter
 * builds the status; this only decorates it, so the status table stays the adapter's.
 */
export function withRedirectTrailers<Req, Res, H extends AsyncHandler<Req, Res>>(
  handler: H,
  build: (handler: H) => handleUnaryCall<Req, Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    let leader: string | undefined;
    const watched = (async (request: Req, ...rest: never[]) => {
      try {
        return await handler(request, ...rest);
      } catch (error) {
        if (error instanceof NotLeaderHere) leader = error.leaderClusterAddr;
        throw error;
      }
    }) as H;
    build(watched)(call, (error, value, trailer, flags) => {
      const metadata = (error as { metadata?: Metadata } | null)?.metadata;
      if (error && leader && metadata) {
        metadata.set(LEADER_ADDR_METADATA_KEY, leader);
        metadata.set(REDIRECT_METADATA_KEY, 'true');
      }
      callback(error, value, trailer, flags);
    });
  };
}
