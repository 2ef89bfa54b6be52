import { VectorXLiteError } from '../../src/errors.js';
import type { NodeId } from './types.js';

/**
 * This node cannot take the request because it is not the leader, or a proposal it took is
 * known not to have been committed (its log entry was replaced by another leader's). Either way
 * the command was not applied, so sending it to the leader is safe. `leaderId` is the leader
 * this node knows of, if any: with one, the code is FAILED_PRECONDITION (redirect there);
 * without, UNAVAILABLE (retry later).
 */
export class NotLeaderError extends VectorXLiteError {
  readonly leaderId: NodeId | null;

  constructor(leaderId: NodeId | null, message: string) {
    super(leaderId === null ? 'UNAVAILABLE' : 'FAILED_PRECONDITION', leaderId === null ? `${message}; no leader is known yet, retry shortly` : `${message}; the leader is ${leaderId}`);
    this.name = 'NotLeaderError';
    this.leaderId = leaderId;
  }
}

/**
 * A proposal whose fate this node cannot tell: it may or may not have been committed (for
 * example, a snapshot from a new leader covered its index). Not a redirect, since resending
 * could apply the command twice: only writes with a client id and sequence are safe to retry.
 */
export class OutcomeUnknownError extends VectorXLiteError {
  constructor(message: string) {
    super('UNAVAILABLE', `${message}; the write may or may not have been applied`);
    this.name = 'OutcomeUnknownError';
  }
}
