import { fileURLToPath } from 'node:url';
import { credentials, loadPackageDefinition, type Client, type ServiceError, type Metadata } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/** A client built at run time from a .proto file, knowing nothing of the generated code. */
export type DynamicClient = Client & Record<string, (...args: unknown[]) => unknown>;

export const originalWireProto = fileURLToPath(new URL('../fixtures/wire-v1.proto', import.meta.url));

export function dynamicClient(protoPath: string, address: string): DynamicClient {
  const definition = loadSync(protoPath, { keepCase: true, longs: String, enums: String, defaults: true });
  const pkg = loadPackageDefinition(definition) as unknown as Record<string, Record<string, new (a: string, c: unknown) => DynamicClient>>;
  return new pkg.vectorxlite_pb.VectorXLitePB(address, credentials.createInsecure());
}

export interface CallFailure {
  code: number;
  details: string;
  metadata: Metadata;
}

/** Calls a unary method; resolves the response or rejects with the ServiceError. */
export function callUnary<T = Record<string, unknown>>(client: DynamicClient, method: string, request: unknown, metadata?: Metadata): Promise<T> {
  return new Promise((resolve, reject) => {
    const callback = (err: ServiceError | null, res: T): void => (err ? reject(err) : resolve(res));
    if (metadata) client[method](request, metadata, callback);
    else client[method](request, callback);
  });
}
