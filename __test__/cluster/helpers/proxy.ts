/**
 * A fault-injecting HTTP CONNECT proxy for the outbound connections of ONE node process.
 *
 * A node's Raft address is both the port it listens on and the address peers dial, so no
 * proxy can sit in front of it. Instead each node is started with `grpc_proxy` pointing at
 * its own proxy: grpc-js then opens every outbound channel (Raft links, forwarding to the
 * leader, joining) as a CONNECT tunnel through it. The proxy therefore knows both ends of
 * each connection (its node, and the target in the CONNECT line), which is what a pairwise
 * partition needs. Raft messages are one-way calls from sender to receiver, so cutting the
 * tunnels in both directions between two nodes separates them completely.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';

interface Tunnel {
  target: string;
  client: Socket;
  upstream: Socket;
}

export class ConnectProxy {
  private readonly tunnels = new Set<Tunnel>();
  private refusedCount = 0;

  private constructor(
    private readonly server: Server,
    /** `http://127.0.0.1:<port>`, the value for the node's `grpc_proxy`. */
    readonly url: string,
    /** Whether a new or existing connection to `target` (host:port) may carry bytes now. */
    private readonly allowed: (target: string) => boolean,
  ) {}

  static async start(allowed: (target: string) => boolean): Promise<ConnectProxy> {
    const server = createServer((_req, res) => res.writeHead(405).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const proxy = new ConnectProxy(server, `http://127.0.0.1:${port}`, allowed);
    server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => proxy.open(req.url ?? '', client, head));
    return proxy;
  }

  /** Connections refused because their target was cut off. */
  get refused(): number {
    return this.refusedCount;
  }

  /** Destroys the open tunnels whose target is no longer allowed, as a network failure would. */
  enforce(): void {
    for (const tunnel of this.tunnels) if (!this.allowed(tunnel.target)) this.drop(tunnel);
  }

  async close(): Promise<void> {
    for (const tunnel of this.tunnels) this.drop(tunnel);
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private open(target: string, client: Socket, head: Buffer): void {
    client.on('error', () => client.destroy());
    if (!this.allowed(target)) {
      // A reset rather than a held connection: grpc-js retries with its short backoff, so
      // the node notices the heal within about a second.
      this.refusedCount++;
      client.destroy();
      return;
    }
    const colon = target.lastIndexOf(':');
    const upstream = connect(Number(target.slice(colon + 1)), target.slice(0, colon));
    const tunnel: Tunnel = { target, client, upstream };
    this.tunnels.add(tunnel);
    upstream.on('error', () => this.drop(tunnel));
    client.on('close', () => this.drop(tunnel));
    upstream.on('close', () => this.drop(tunnel));
    upstream.once('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  private drop(tunnel: Tunnel): void {
    if (!this.tunnels.delete(tunnel)) return;
    tunnel.client.destroy();
    tunnel.upstream.destroy();
  }
}
