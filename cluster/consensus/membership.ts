/**
 * Cluster configurations: their encoding in `config` log entries, quorum arithmetic, and the
 * one-server-at-a-time changes of dissertation §4.1.
 */
import type { Member, Membership, NodeId } from './types.js';

export const EMPTY_MEMBERSHIP: Membership = { members: [] };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeMembership(membership: Membership): Uint8Array {
  return encoder.encode(JSON.stringify(membership));
}

export function decodeMembership(data: Uint8Array): Membership {
  const parsed = JSON.parse(decoder.decode(data)) as Membership;
  if (!Array.isArray(parsed.members)) throw new TypeError('config entry holds no members array');
  return parsed;
}

/** One line per member, for logs: id, role and both addresses. */
export function describeMembers(membership: Membership): string[] {
  return membership.members.map((m) => `${m.id}${m.voter ? '' : ' (non-voter)'} raft=${m.raftAddr} api=${m.clusterAddr}`);
}

export function voterIds(membership: Membership): NodeId[] {
  return membership.members.filter((m) => m.voter).map((m) => m.id);
}

export function isVoter(membership: Membership, id: NodeId): boolean {
  return membership.members.some((m) => m.id === id && m.voter);
}

export function findMember(membership: Membership, id: NodeId): Member | undefined {
  return membership.members.find((m) => m.id === id);
}

/** Votes (or acknowledgements) needed out of `voters`: a strict majority. */
export function quorum(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/** A single-server configuration change (dissertation §4.1). */
export type ConfigChange =
  | { type: 'add-learner'; member: Omit<Member, 'voter'> }
  | { type: 'promote'; id: NodeId }
  | { type: 'remove'; id: NodeId };

/** The configuration after `change`, or an explanation of why the change is not allowed. */
export function applyConfigChange(current: Membership, change: ConfigChange): Membership | string {
  switch (change.type) {
    case 'add-learner':
      if (findMember(current, change.member.id)) return `${change.member.id} is already a member`;
      return { members: [...current.members, { ...change.member, voter: false }] };
    case 'promote': {
      const member = findMember(current, change.id);
      if (!member) return `${change.id} is not a member`;
      if (member.voter) return `${change.id} is already a voter`;
      return { members: current.members.map((m) => (m.id === change.id ? { ...m, voter: true } : m)) };
    }
    case 'remove': {
      const member = findMember(current, change.id);
      if (!member) return `${change.id} is not a member`;
      if (member.voter && voterIds(current).length === 1) return 'cannot remove the last voter';
      return { members: current.members.filter((m) => m.id !== change.id) };
    }
  }
}
