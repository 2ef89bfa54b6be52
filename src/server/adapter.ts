import { randomUUID } from 'node:crypto';
import {
  status,
  type handleClientStreamingCall,
  type handleServerStreamingCall,
  type handleUnaryCall,
  type Metadata,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { VectorXLiteError } from '../errors.js';
import type { VectorDbMetrics } from '../observability/metrics.js';
import type { BearerTokenAuth } from './auth.js';
import { decoded } from './malformed.js';
import { statusForError, type StatusObject } from './status.js';

/** What a handler knows about the call it serves. */
export interface CallContext {
  method: string;
  requestId: string;
  metadata: Metadata;
  /** Aborted when the client cancels or its deadline passes. */
  signal: AbortSignal;
  log: Logger;
}

export interface MethodOptions {
  /** The `operation` label of vectordb_* metrics; absent for calls that are not database operations. */
  operation?: string;
  /** False for calls anyone may make (health checks). Default true. */
  authenticate?: boolean;
}

export interface CallAdapterOptions {
  logger: Logger;
  metrics: VectorDbMetrics;
  auth?: BearerTokenAuth;
}

/** The part of every grpc-js server call the adapter needs. */
interface IncomingCall {
  metadata: Metadata;
  on(event: 'cancelled', listener: () => void): unknown;
}

/**
 * Turns async handlers (return the response or throw VectorXLiteError) into grpc-js handlers.
 * Every call is settled exactly once, counted in the metrics, logged, and its handler sees
 * cancellation through `ctx.signal`. Errors other than VectorXLiteError become INTERNAL with
 * a generic message; their stack goes to the log only.
 */
export class CallAdapter {
  constructor(private readonly options: CallAdapterOptions) {}

  unary<Req, Res>(method: string, handler: (request: Req, ctx: CallContext) => Promise<Res>, options: MethodOptions = {}): handleUnaryCall<Req, Res> {
    return (call, callback) => {
      const tracker = this.begin(method, call, options);
      tracker
        .run(() => handler(decoded(call.request), tracker.ctx))
        .then(
          (response) => tracker.succeed(() => callback(null, response)),
          (err: unknown) => tracker.fail(err, (s) => callback(s)),
        );
    };
  }

  /** `send` resolves once the message is buffered, waiting for drain under backpressure. */
  serverStreaming<Req, Res>(
    method: string,
    handler: (request: Req, send: (message: Res) => Promise<void>, ctx: CallContext) => Promise<void>,
    options: MethodOptions = {},
  ): handleServerStreamingCall<Req, Res> {
    return (call) => {
      const tracker = this.begin(method, call, options);
      const send = (message: Res): Promise<void> => {
        if (tracker.ctx.signal.aborted) return Promise.reject(cancelledError());
        if (call.write(message)) return Promise.resolve();
        return new Promise((resolve, reject) => {
          const onAbort = (): void => {
            call.off('drain', onDrain);
            reject(cancelledError());
          };
          const onDrain = (): void => {
            tracker.ctx.signal.removeEventListener('abort', onAbort);
            resolve();
          };
          call.once('drain', onDrain);
          tracker.ctx.signal.addEventListener('abort', onAbort, { once: true });
        });
      };
      tracker
        .run(() => handler(decoded(call.request), send, tracker.ctx))
        .then(
          () => tracker.succeed(() => call.end()),
          (err: unknown) => tracker.fail(err, (s) => call.emit('error', s)),
        );
    };
  }

  /** The handler reads requests with `for await`; a cancelled call ends that loop with CANCELLED. */
  clientStreaming<Req, Res>(
    method: string,
    handler: (requests: AsyncIterable<Req>, ctx: CallContext) => Promise<Res>,
    options: MethodOptions = {},
  ): handleClientStreamingCall<Req, Res> {
    return (call, callback) => {
      const tracker = this.begin(method, call, options);
      tracker.ctx.signal.addEventListener('abort', () => call.destroy(cancelledError()), { once: true });
      tracker
        .run(() => handler(decodedEach<Req>(call), tracker.ctx))
        .then(
          (response) => tracker.succeed(() => callback(null, response)),
          (err: unknown) => tracker.fail(err, (s) => callback(s)),
        );
    };
  }

  private begin(method: string, call: IncomingCall, options: MethodOptions): CallTracker {
    const controller = new AbortController();
    call.on('cancelled', () => controller.abort());
    const carried = call.metadata.get('x-request-id')[0];
    const requestId = typeof carried === 'string' && carried.length <= 128 ? carried : randomUUID();
    const ctx: CallContext = {
      method,
      requestId,
      metadata: call.metadata,
      signal: controller.signal,
      log: this.options.logger.child({ method, requestId }),
    };
    const auth = options.authenticate === false ? undefined : this.options.auth;
    return new CallTracker(ctx, this.options.metrics, options.operation, auth);
  }
}

class CallTracker {
  private settled = false;
  private readonly started = process.hrtime.bigint();

  constructor(
    readonly ctx: CallContext,
    private readonly metrics: VectorDbMetrics,
    private readonly operation: string | undefined,
    private readonly auth: BearerTokenAuth | undefined,
  ) {}

  async run<T>(body: () => Promise<T>): Promise<T> {
    this.auth?.check(this.ctx.metadata);
    return body();
  }

  succeed(send: () => void): void {
    if (this.record(null) === status.OK) send();
  }

  fail(err: unknown, send: (status: StatusObject) => void): void {
    const failure = this.toStatus(err);
    const code = this.record(err, failure);
    if (code !== undefined && code !== status.CANCELLED) send(failure);
  }

  /**
   * Counts and logs the outcome once, returning the code the call ends with. Nothing is sent
   * after a cancellation: the client is gone. Later outcomes of a settled call are ignored.
   */
  private record(err: unknown, failure?: StatusObject): status | undefined {
    if (this.settled) return undefined;
    this.settled = true;
    const seconds = Number(process.hrtime.bigint() - this.started) / 1e9;
    const cancelled = this.ctx.signal.aborted;
    const code = cancelled ? status.CANCELLED : (failure?.code ?? status.OK);
    const codeName = status[code];
    this.metrics.grpcHandled.inc({ grpc_method: this.ctx.method, grpc_code: codeName });
    this.metrics.grpcHandlingSeconds.observe({ grpc_method: this.ctx.method }, seconds);
    if (this.operation) {
      const outcome = code === status.OK ? 'ok' : err instanceof VectorXLiteError && !cancelled ? err.code : codeName;
      this.metrics.operations.inc({ operation: this.operation, status: outcome });
      this.metrics.operationDuration.observe({ operation: this.operation }, seconds);
    }
    const line = { code: codeName, durationMs: Math.round(seconds * 1e6) / 1e3 };
    if (code === status.OK) this.ctx.log.debug(line, 'request handled');
    else if (code === status.INTERNAL) this.ctx.log.error({ ...line, err }, 'request failed');
    else this.ctx.log.warn({ ...line, error: failure?.details ?? 'cancelled by the client' }, 'request failed');
    return code;
  }

  private toStatus(err: unknown): StatusObject {
    if (err instanceof VectorXLiteError) return statusForError(err);
    return statusForError(
      new VectorXLiteError('INTERNAL', `internal server error (request id ${this.ctx.requestId}); the server log has the details`),
    );
  }
}

async function* decodedEach<T>(messages: AsyncIterable<unknown>): AsyncGenerator<T> {
  for await (const message of messages) yield decoded(message as T);
}

function cancelledError(): VectorXLiteError {
  return new VectorXLiteError('CANCELLED', 'the call was cancelled by the client');
}
