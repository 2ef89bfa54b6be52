/**
 * What a failed cluster call means for the next step: follow a redirect, try again, or give up.
 * The retry loop needs more than the error code: whether a write could have reached a leader.
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import { VectorXLiteError } from '../../src/errors.js';
import { fromServiceError } from '../../src/client/errors.js';
import { ERROR_CODE_METADATA_KEY } from '../../src/server/status.js';
import { LEADER_ADDR_METADATA_KEY, REDIRECT_METADATA_KEY } from '../metadata-keys.js';

export type Failure =
  /** A follower refused a write it does not forward; the leader's cluster address came along. */
  | { kind: 'redirect'; leader: string; error: VectorXLiteError }
  /**
   * The node or the cluster is unavailable (connection failed, election in progress).
   * `notSent` is true when the request provably never reached a server, so even a write
   * was not applied.
   */
  | { kind: 'unavailable'; notSent: boolean; error: VectorXLiteError }
  /** Anything else: the answer stands. */
  | { kind: 'final'; error: VectorXLiteError };

/** grpc-js details of calls that failed before the request left this process. */
const NOT_SENT_DETAILS = [/^No connection established/, /^Stream refused by server/, /^Channel closed before call started/];

/** No node the client could reach knows a leader: nothing was sent, so anything may be retried. */
export class NoLeaderKnown extends VectorXLiteError {
  constructor(detail: string) {
    super('UNAVAILABLE', `no reachable node knows a leader (election in progress or nodes down): ${detail}`);
    this.name = 'NoLeaderKnown';
  }
}

export function classifyFailure(err: unknown): Failure {
  if (err instanceof NoLeaderKnown) return { kind: 'unavailable', notSent: true, error: err };
  const error = fromServiceError(err);
  const service = err as Partial<ServiceError>;
  if (typeof service.code !== 'number') return { kind: 'final', error };
  if (service.code === status.FAILED_PRECONDITION) {
    const leader = redirectTarget(service);
    if (leader !== undefined) return { kind: 'redirect', leader, error };
  }
  if (error.code === 'UNAVAILABLE') {
    // An answer carrying our error code came from a VectorXLite node, which may have proposed
    // the write before it failed; only transport failures before sending are known not applied.
    const answeredByNode = (service.metadata?.get(ERROR_CODE_METADATA_KEY).length ?? 0) > 0;
    const notSent = !answeredByNode && NOT_SENT_DETAILS.some((re) => re.test(service.details ?? ''));
    return { kind: 'unavailable', notSent, error };
  }
  return { kind: 'final', error };
}

/** The leader address of a redirect (WIRE.md: `x-redirect: true` and `x-leader-addr`), if it is one. */
function redirectTarget(service: Partial<ServiceError>): string | undefined {
  const metadata = service.metadata;
  if (!metadata || String(metadata.get(REDIRECT_METADATA_KEY)[0] ?? '') !== 'true') return undefined;
  const leader = String(metadata.get(LEADER_ADDR_METADATA_KEY)[0] ?? '');
  return leader === '' ? undefined : leader;
}
