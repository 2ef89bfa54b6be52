/**
 * Calls to another node's client API (forwarding to the leader). One grpc-js channel per
 * address, reused; failures come back as VectorXLiteErrors with the status table's codes, and
 * a redirect the other node answered with stays a redirect.
 */
import { ChannelCredentials, Client, Metadata, type ServiceError } from '@grpc/grpc-js';
import { VectorXLiteError } from '../../src/errors.js';
import { errorCodeForStatus } from '../../src/server/status.js';
import { NotLeaderHere } from '../runtime/raft-node.js';
import { LEADER_ADDR_METADATA_KEY } from './redirect.js';

/** The parts of a grpc-js method definition a unary or server-streaming call needs. */
export interface UnaryMethod<Req, Res> {
  path: string;
  requestSerialize: (value: Req) => Buffer;
  responseDeserialize: (bytes: Buffer) => Res;
}

export interface PeerClientsOptions {
  /** The cluster API token, presented to the other node. */
  authToken?: string;
  /** Trust root for nodes' TLS certificates; plaintext when absent. */
  tlsCa?: Buffer;
  maxMessageBytes: number;
}

export class PeerClients {
  private readonly clients = new Map<string, Client>();
  private readonly credentials: ChannelCredentials;

  constructor(private readonly options: PeerClientsOptions) {
    this.credentials = options.tlsCa ? ChannelCredentials.createSsl(options.tlsCa) : ChannelCredentials.createInsecure();
  }

  /** `metadata` is sent as given plus the cluster token. */
  call<Req, Res>(address: string, method: UnaryMethod<Req, Res>, request: Req, metadata: Metadata, timeoutMs: number): Promise<Res> {
    return new Promise((resolve, reject) => {
      this.client(address).makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        this.withToken(metadata),
        { deadline: Date.now() + timeoutMs },
        (error: ServiceError | null, response?: Res) => {
          if (error) reject(fromStatus(error, address));
          else resolve(response as Res);
        },
      );
    });
  }

  /** A server-streaming call without a deadline (it may run long); aborting `signal` cancels it. */
  async *stream<Req, Res>(address: string, method: UnaryMethod<Req, Res>, request: Req, metadata: Metadata, signal: AbortSignal): AsyncGenerator<Res> {
    const call = this.client(address).makeServerStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, request, this.withToken(metadata));
    const cancel = (): void => call.cancel();
    // A signal aborted already never fires 'abort': without this the leader would take the
    // whole backup (pausing its applies) for a caller that has gone.
    if (signal.aborted) cancel();
    signal.addEventListener('abort', cancel, { once: true });
    try {
      for await (const message of call as AsyncIterable<Res>) yield message;
    } catch (error) {
      throw fromStatus(error as ServiceError, address);
    } finally {
      signal.removeEventListener('abort', cancel);
      call.cancel();
    }
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private withToken(metadata: Metadata): Metadata {
    const md = metadata.clone();
    if (this.options.authToken !== undefined) md.set('authorization', `Bearer ${this.options.authToken}`);
    return md;
  }

  private client(address: string): Client {
    let client = this.clients.get(address);
    if (!client) {
      client = new Client(address, this.credentials, {
        'grpc.max_receive_message_length': this.options.maxMessageBytes,
        'grpc.max_send_message_length': this.options.maxMessageBytes,
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1_000,
      });
      this.clients.set(address, client);
    }
    return client;
  }
}

function fromStatus(error: ServiceError, address: string): VectorXLiteError {
  const leader = error.metadata?.get(LEADER_ADDR_METADATA_KEY)[0];
  if (typeof leader === 'string' && leader !== '') return new NotLeaderHere(leader);
  const code = errorCodeForStatus(error.code, error.metadata);
  // The leader's message is meant for users as is; an unreachable leader is this node's news.
  const message = error.details || `the leader at ${address} did not answer`;
  return new VectorXLiteError(code, code === 'UNAVAILABLE' ? `${message} (forwarded to the leader at ${address})` : message);
}
