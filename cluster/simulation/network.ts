/**
 * The simulated network: every message gets a random delay (so messages reorder), may be
 * dropped or duplicated, and never crosses a partition. Partitions are checked both when a
 * message is sent and when it would arrive.
 */
import type { Member, Message, NodeId } from '../consensus/types.js';
import type { MessageHandler, Transport } from '../transport/types.js';
import type { SeededRandom } from './random.js';
import type { Scheduler } from './scheduler.js';

export interface NetworkConditions {
  dropRate: number;
  duplicateRate: number;
  minDelay: number;
  maxDelay: number;
  /** Chance that a message is held back up to `longDelay` ms instead (a slow path). */
  longDelayRate: number;
  longDelay: number;
}

export const CALM_NETWORK: NetworkConditions = { dropRate: 0, duplicateRate: 0, minDelay: 1, maxDelay: 5, longDelayRate: 0, longDelay: 0 };

export class SimNetwork {
  conditions: NetworkConditions = CALM_NETWORK;
  private readonly handlers = new Map<NodeId, MessageHandler>();
  /** Partition group of each node; nodes in different groups cannot talk. Empty: no partition. */
  private group = new Map<NodeId, number>();
  /** Nodes whose process is paused (SIGSTOP, a long GC): deliveries wait until this time. */
  private pausedUntil = new Map<NodeId, number>();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly random: SeededRandom,
  ) {}

  transport(id: NodeId): SimTransport {
    return new SimTransport(this, id);
  }

  attach(id: NodeId, handler: MessageHandler): void {
    this.handlers.set(id, handler);
  }

  detach(id: NodeId, handler: MessageHandler | null): void {
    if (handler === null || this.handlers.get(id) === handler) this.handlers.delete(id);
  }

  /** Splits the nodes into groups; a node in no group is cut off from everyone. */
  partition(groups: NodeId[][]): void {
    this.group = new Map();
    groups.forEach((members, i) => members.forEach((id) => this.group.set(id, i)));
  }

  heal(): void {
    this.group = new Map();
  }

  pause(id: NodeId, until: number): void {
    this.pausedUntil.set(id, until);
  }

  isPaused(id: NodeId): boolean {
    return (this.pausedUntil.get(id) ?? 0) > this.scheduler.now;
  }

  connected(a: NodeId, b: NodeId): boolean {
    if (this.group.size === 0) return true;
    const ga = this.group.get(a);
    return ga !== undefined && ga === this.group.get(b);
  }

  send(message: Message): void {
    const c = this.conditions;
    if (!this.connected(message.from, message.to) || this.random.chance(c.dropRate)) return;
    const copies = this.random.chance(c.duplicateRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = this.random.chance(c.longDelayRate) ? this.random.between(c.maxDelay, c.longDelay) : this.random.between(c.minDelay, c.maxDelay);
      this.scheduler.after(delay, () => this.deliver(message));
    }
  }

  private deliver(message: Message): void {
    const resume = this.pausedUntil.get(message.to) ?? 0;
    if (resume > this.scheduler.now) {
      // The kernel buffers what reaches a stopped process; it reads it all on waking, in any order.
      this.scheduler.at(resume + this.random.int(5), () => this.deliver(message));
      return;
    }
    const handler = this.handlers.get(message.to);
    if (!handler || !this.connected(message.from, message.to)) return;
    handler(message);
  }
}

export class SimTransport implements Transport {
  private handler: MessageHandler | null = null;
  private closed = false;

  constructor(
    private readonly network: SimNetwork,
    readonly id: NodeId,
  ) {}

  send(message: Message): void {
    if (!this.closed) this.network.send(message);
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
    this.network.attach(this.id, handler);
  }

  /** Delivery is by id in the simulation; addresses are not needed. */
  setMembers(_members: Member[]): void {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.network.detach(this.id, this.handler);
  }
}
