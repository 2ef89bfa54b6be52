/**
 * Raft's safety properties (Figure 3 of the paper), checked against everything the simulated
 * nodes persist, commit and apply. Each violation is a sentence naming the property, the
 * node and the index, so a failing seed explains itself.
 */
import type { Status } from '../consensus/raft.js';
import type { LogEntry, NodeId } from '../consensus/types.js';
import type { KvResult } from '../state-machine/memory.js';
import { decodeKvCommand } from '../state-machine/memory.js';

/** What the checker reads of a live node after each step. */
export interface NodeView {
  id: NodeId;
  status: Status;
  termAt(index: number): number | undefined;
}

function entryKey(entry: LogEntry): string {
  return `${entry.type}:${Buffer.from(entry.data).toString('base64')}`;
}

export class InvariantChecker {
  readonly violations: string[] = [];
  /** Election Safety: the one leader of each term. */
  private readonly leaders = new Map<number, NodeId>();
  /** Log Matching: content and predecessor term of every (index, term) ever persisted. */
  private readonly persisted = new Map<string, { key: string; prevTerm: number | undefined }>();
  /** Term of every index known committed. */
  private readonly committed: number[] = [];
  /**
   * For each committed index, the term of the first node seen committing it: never below the
   * term in which it was committed (a node learns of a commit only after it happened, and
   * terms only grow), usually equal to it (the leader sees it first).
   */
  private readonly committedIn: number[] = [];
  /** Per node: committed indexes already compared. */
  private readonly checkedCommit = new Map<NodeId, number>();
  /** State Machine Safety: what was applied at each index, and its result. */
  private readonly applied: string[] = [];
  /** Exactly once: index at which each client command changed the state. */
  private readonly effective = new Map<string, number>();

  violate(message: string): void {
    if (this.violations.length < 20) this.violations.push(message);
  }

  /** Log Matching (§5.3): same index and term means same entry and same history before it. */
  onPersist(node: NodeId, entries: LogEntry[], prevTerm: number | undefined): void {
    let before = prevTerm;
    for (const e of entries) {
      const id = `${e.index}/${e.term}`;
      const key = entryKey(e);
      const seen = this.persisted.get(id);
      if (!seen) {
        this.persisted.set(id, { key, prevTerm: before });
      } else {
        if (seen.key !== key) this.violate(`Log Matching: ${node} persisted a different entry at index ${e.index} term ${e.term}`);
        if (before !== undefined && seen.prevTerm !== undefined && before !== seen.prevTerm) {
          this.violate(`Log Matching: ${node} holds index ${e.index} term ${e.term} after term ${before}, another node after term ${seen.prevTerm}`);
        }
        if (seen.prevTerm === undefined) seen.prevTerm = before;
      }
      before = e.term;
    }
  }

  /** State Machine Safety (§5.4.3) and exactly-once application of client commands. */
  onApply(node: NodeId, entry: LogEntry, result: unknown): void {
    const kv = result as KvResult;
    const key = `${entry.term}:${entryKey(entry)}:${kv.applied}`;
    const seen = this.applied[entry.index];
    if (seen === undefined) this.applied[entry.index] = key;
    else if (seen !== key) this.violate(`State Machine Safety: ${node} applied a different entry or result at index ${entry.index}`);
    if (entry.type === 'command' && kv.applied) {
      const cmd = decodeKvCommand(entry.data);
      const id = `${cmd.clientId}#${cmd.seq}`;
      const at = this.effective.get(id);
      if (at === undefined) this.effective.set(id, entry.index);
      else if (at !== entry.index) this.violate(`Exactly once: command ${id} took effect at index ${at} and again at ${entry.index} (on ${node})`);
    }
  }

  /** A node restarted: compare its committed entries afresh. */
  onRestart(node: NodeId): void {
    this.checkedCommit.delete(node);
  }

  afterStep(nodes: NodeView[]): void {
    for (const n of nodes) this.checkCommitted(n);
    for (const n of nodes) {
      const s = n.status;
      if (s.role !== 'leader') continue;
      const known = this.leaders.get(s.term);
      if (known === undefined) {
        this.leaders.set(s.term, n.id);
        this.checkLeaderCompleteness(n);
      } else if (known !== n.id) {
        this.violate(`Election Safety: ${known} and ${n.id} are both leaders of term ${s.term}`);
      }
    }
  }

  /** Committed entries agree across nodes: an index is never committed with two terms. */
  private checkCommitted(n: NodeView): void {
    const from = Math.max((this.checkedCommit.get(n.id) ?? 0) + 1, n.status.firstIndex);
    for (let i = from; i <= n.status.commit; i++) {
      const term = n.termAt(i);
      if (term === undefined) {
        this.violate(`${n.id} reports commit index ${n.status.commit} but lacks entry ${i}`);
        break;
      }
      const known = this.committed[i];
      if (known === undefined) {
        this.committed[i] = term;
        this.committedIn[i] = n.status.term;
      } else if (known !== term) this.violate(`State Machine Safety: index ${i} committed with term ${known}, but ${n.id} committed term ${term}`);
    }
    this.checkedCommit.set(n.id, Math.max(this.checkedCommit.get(n.id) ?? 0, n.status.commit));
  }

  /**
   * Leader Completeness (§5.4): a leader holds every entry committed in earlier terms. A
   * leader of an old term may still appear late (its last vote arriving after a newer term
   * committed entries); it is held only to what was committed before its own term.
   */
  private checkLeaderCompleteness(n: NodeView): void {
    let last = this.committed.length - 1;
    while (last > 0 && !(this.committedIn[last] < n.status.term)) last--;
    if (last <= 0 || last < n.status.firstIndex - 1) return; // compacted: its own commit covers it
    const term = n.termAt(last);
    if (term !== this.committed[last]) {
      this.violate(`Leader Completeness: ${n.id} became leader of term ${n.status.term} without entry ${last} (term ${this.committed[last]}), committed in an earlier term; it has ${term ?? 'nothing'}`);
    }
  }
}
