/**
 * The Raft and cluster series of one node's /metrics, registered on that node's own registry.
 * Gauges read the node's state at scrape time; counters are fed by driver and transport events.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Membership, MessageType, NodeId, Role } from '../consensus/types.js';
import type { TransportHooks } from '../transport/grpc/index.js';

/** What the gauges read from the node at scrape time. */
export interface RaftView {
  id: NodeId;
  role(): Role;
  leaderId(): NodeId | null;
  term(): number;
  commit(): number;
  applied(): number;
  lastIndex(): number;
  membership(): Membership;
  /** Leader only: each follower's match index. */
  matchIndexes(): Map<NodeId, number>;
}

export class ClusterMetrics {
  readonly leaderChanges: Counter;
  readonly appendEntries: Counter<'status'>;
  readonly leaderRedirects: Counter;
  /** When each peer last accepted a call from this node: a peer is healthy while that is recent. */
  private readonly lastContact = new Map<NodeId, number>();

  constructor(
    registry: Registry,
    private readonly view: RaftView,
    /** How recent a peer's last accepted call must be for it to count as healthy. */
    private readonly healthyWithinMs: number,
  ) {
    const registers = [registry];
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({ name, help, registers, collect() { this.set(read()); } });
    };
    gauge('raft_term_number', 'Current Raft term of this node.', () => view.term());
    gauge('raft_commit_index', 'Highest log index this node knows is committed.', () => view.commit());
    gauge('raft_applied_index', 'Highest log index applied to this node\'s state machine.', () => view.applied());
    gauge('cluster_nodes_total', 'Members (voters and non-voters) in the configuration this node holds.', () => view.membership().members.length);
    gauge('cluster_healthy_nodes', 'Members this node can reach: itself plus peers that accepted a call within an election timeout.', () => this.healthyCount());
    this.leaderChanges = new Counter({ name: 'raft_leader_changes_total', help: 'Times this node saw the leader change.', registers });
    this.appendEntries = new Counter({
      name: 'raft_append_entries_total',
      help: 'AppendEntries calls this node sent, by outcome (success: the peer accepted the call; failure: unreachable or refused; dropped: never sent).',
      labelNames: ['status'],
      registers,
    });
    this.leaderRedirects = new Counter({
      name: 'cluster_leader_redirects_total',
      help: 'Requests this node forwarded to the leader or answered with a redirect to it.',
      registers,
    });
    new Gauge({
      name: 'raft_log_replication_lag',
      help: 'Leader only: entries each follower is behind the leader\'s last index.',
      labelNames: ['follower_id'],
      registers,
      collect() {
        this.reset();
        if (view.role() !== 'leader') return;
        const last = view.lastIndex();
        for (const [id, match] of view.matchIndexes()) if (id !== view.id) this.set({ follower_id: id }, Math.max(0, last - match));
      },
    });
    new Gauge({
      name: 'cluster_node_status',
      help: 'Each member\'s role as this node sees it (1 for the current role).',
      labelNames: ['node_id', 'role'],
      registers,
      collect() {
        this.reset();
        for (const m of view.membership().members) this.set({ node_id: m.id, role: roleOf(view, m.id) }, 1);
      },
    });
  }

  /** Transport callbacks that feed raft_append_entries_total and the health of peers. */
  transportHooks(): TransportHooks {
    return {
      onSendResult: (peer: NodeId, ok: boolean, type: MessageType) => {
        if (ok) this.lastContact.set(peer, Date.now());
        if (type === 'AppendEntries') this.appendEntries.inc({ status: ok ? 'success' : 'failure' });
      },
      onDrop: (_peer: NodeId, _reason: string, type: MessageType) => {
        if (type === 'AppendEntries') this.appendEntries.inc({ status: 'dropped' });
      },
    };
  }

  private healthyCount(): number {
    const now = Date.now();
    let healthy = 0;
    for (const m of this.view.membership().members) {
      if (m.id === this.view.id) healthy++;
      else if (now - (this.lastContact.get(m.id) ?? 0) <= this.healthyWithinMs) healthy++;
    }
    return healthy;
  }
}

/**
 * A member's role as this node knows it: its own role exactly; others are the leader it
 * follows or else followers (learners included), as a node cannot see others' elections.
 */
export function roleOf(view: Pick<RaftView, 'id' | 'role' | 'leaderId' | 'membership'>, id: NodeId): string {
  if (id === view.id) {
    const role = view.role();
    return role === 'pre-candidate' ? 'candidate' : role;
  }
  return id === view.leaderId() ? 'leader' : 'follower';
}
