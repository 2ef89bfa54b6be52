/** Real GrpcTransports on 127.0.0.1, each on a port the OS picked, closed when the test ends. */
import { createServer } from 'node:net';
import type { ExecutionContext } from 'ava';
import type { Member } from '../../cluster/consensus/types.js';
import { GrpcTransport, type GrpcTransportOptions } from '../../cluster/transport/grpc/index.js';

export async function grpcTransport(t: ExecutionContext, options: Omit<GrpcTransportOptions, 'listen'>): Promise<{ transport: GrpcTransport; member: Member }> {
  const transport = await GrpcTransport.listen({ listen: '127.0.0.1:0', ...options });
  t.teardown(() => transport.close());
  return { transport, member: { id: options.id, voter: true, raftAddr: transport.address, clusterAddr: '' } };
}

/** An address nothing listens on: a port the OS handed out and that was released again. */
export async function deadAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}
