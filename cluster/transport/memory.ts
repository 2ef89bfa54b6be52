/**
 * An in-process transport: nodes connected to one MemoryNetwork exchange messages through the
 * event loop (each delivery is its own macrotask, like a socket read). No faults: the
 * simulator has its own network for those.
 */
import type { Member, Message, NodeId } from '../consensus/types.js';
import type { MessageHandler, Transport } from './types.js';

export class MemoryNetwork {
  private readonly nodes = new Map<NodeId, MemoryTransport>();

  connect(id: NodeId): MemoryTransport {
    const transport = new MemoryTransport(this, id);
    this.nodes.set(id, transport);
    return transport;
  }

  deliver(message: Message): void {
    const target = this.nodes.get(message.to);
    if (target) setImmediate(() => target.receive(message));
  }

  disconnect(id: NodeId, transport: MemoryTransport): void {
    if (this.nodes.get(id) === transport) this.nodes.delete(id);
  }
}

export class MemoryTransport implements Transport {
  private handler: MessageHandler | null = null;
  private closed = false;
  /**
   * Ids this node may send to; null until the driver first names a configuration, so a node
   * that is joining (and holds none yet) can still answer the leader that contacts it.
   */
  private members: ReadonlySet<NodeId> | null = null;

  constructor(
    private readonly network: MemoryNetwork,
    readonly id: NodeId,
  ) {}

  send(message: Message): void {
    if (this.closed) return;
    if (this.members !== null && !this.members.has(message.to)) return;
    this.network.deliver(message);
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  /** Delivery is by id within one process; only the ids matter, not the addresses. */
  setMembers(members: Member[]): void {
    this.members = new Set(members.map((member) => member.id));
  }

  receive(message: Message): void {
    if (!this.closed && this.handler) this.handler(message);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.network.disconnect(this.id, this);
  }
}
