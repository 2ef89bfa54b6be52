import { VectorXLiteError } from '../errors.js';

/**
 * Stands in for a request whose bytes did not decode. grpc-js answers a throwing
 * deserializer with INTERNAL; decoding into this marker instead lets the handler answer
 * INVALID_ARGUMENT, which is what a malformed request is.
 */
export class MalformedRequest {
  constructor(readonly reason: string) {}
}

interface MethodDefinitionLike {
  requestDeserialize: (bytes: Buffer) => unknown;
}

/** A copy of a service definition whose request decoders yield MalformedRequest instead of throwing. */
export function withSafeDecoding<T extends Record<string, MethodDefinitionLike>>(definition: T): T {
  const safe: Record<string, MethodDefinitionLike> = {};
  for (const [name, method] of Object.entries(definition)) {
    safe[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return method.requestDeserialize(bytes);
        } catch (err) {
          return new MalformedRequest(err instanceof Error ? err.message : String(err));
        }
      },
    };
  }
  return safe as T;
}

/** Throws INVALID_ARGUMENT for a request that did not decode; returns it typed otherwise. */
export function decoded<T>(request: T | MalformedRequest): T {
  if (request instanceof MalformedRequest) {
    throw new VectorXLiteError('INVALID_ARGUMENT', `the request message could not be decoded: ${request.reason}`);
  }
  return request;
}
