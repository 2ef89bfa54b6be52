/**
 * The Transport seam: carries consensus messages between nodes.
 *
 * Raft tolerates loss, duplication, delay and reordering, so the contract is best effort:
 * `send` never blocks on the network, never throws for an unreachable or unknown peer (it
 * drops the message), and may deliver a message zero or more times in any order.
 *
 * Request/response pairing, for a transport built on RPCs: RequestVote → RequestVoteResponse,
 * AppendEntries → AppendEntriesResponse, Heartbeat → HeartbeatResponse,
 * InstallSnapshot → InstallSnapshotResponse, TimeoutNow → none. The consensus emits responses
 * as ordinary messages (after the durable writes they depend on), so an RPC transport either
 * sends them as their own calls or correlates them with the pending request; both are valid.
 * InstallSnapshot may be streamed in chunks but must be handed to the receiver whole.
 *
 * A node that is joining hears from the leader before its log holds a configuration naming
 * the leader, so a transport must be able to answer a peer that setMembers() has not named:
 * carry the response on the request's RPC, or remember the address a request came from.
 */
import type { Member, Message } from '../consensus/types.js';

/**
 * `senderRaftAddr`: where the sender says it listens, when the transport carries it, so a node
 * that holds no configuration yet can answer (see the paragraph above).
 */
export type MessageHandler = (message: Message, senderRaftAddr?: string) => void;

export interface Transport {
  /** Queues `message` for `message.to`. Best effort; see above. */
  send(message: Message): void;
  /**
   * Registers the one handler for incoming messages addressed to this node. Called once by
   * the driver before any message can be delivered; messages arriving earlier may be dropped.
   */
  onMessage(handler: MessageHandler): void;
  /**
   * The current configuration's members, so the transport can map ids to `raftAddr`. The
   * driver calls it at start and whenever the configuration changes (including to remove peers).
   */
  setMembers(members: Member[]): void;
  /** Stops sending and delivering; idempotent. */
  close(): Promise<void>;
}
