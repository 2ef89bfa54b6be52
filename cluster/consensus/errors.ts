import { VectorXLiteError } from '../../src/errors.js';
import type { NodeId } from './types.js';

/**
 * This node cannot take the request because it is not the leader, or a proposal it took was
 * lost when leadership changed (its outcome is then unknown: only writes with a client id and
 * sequence are safe to retry). `leaderId` is the leader this node knows of, if any: with one,
 * the code is FAILED_PRECONDITION (redirect there); without, UNAVAILABLE (retry later).
 */
export class NotLeaderError extends VectorXLiteError {
  readonly leaderId: NodeId | null;

  constructor(leaderId: NodeId | null, message: string) {
    super(leaderId === null ? 'UNAVAILABLE' : 'FAILED_PRECONDITION', leaderId === null ? `${message}; no leader is known yet, retry shortly` : `${message}; the leader is ${leaderId}`);
    this.name = 'NotLeaderError';
    this.leaderId = leaderId;
  }
}
