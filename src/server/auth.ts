import { createHash, timingSafeEqual } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { VectorXLiteError } from '../errors.js';

/** Checks `authorization: Bearer <token>` metadata against one configured token. */
export class BearerTokenAuth {
  private readonly expectedDigest: Buffer;

  constructor(token: string) {
    if (token === '') throw new VectorXLiteError('INVALID_ARGUMENT', 'the auth token must not be empty');
    this.expectedDigest = digest(token);
  }

  /** Throws UNAUTHENTICATED unless the metadata carries the token. */
  check(metadata: Metadata): void {
    const header = metadata.get('authorization')[0];
    if (typeof header !== 'string' || header === '') {
      throw new VectorXLiteError('UNAUTHENTICATED', 'missing metadata authorization: Bearer <token>');
    }
    const match = /^Bearer (.+)$/i.exec(header);
    // Comparing fixed-length digests keeps the comparison constant-time whatever the length sent.
    if (!match || !timingSafeEqual(digest(match[1]), this.expectedDigest)) {
      throw new VectorXLiteError('UNAUTHENTICATED', 'the bearer token is wrong');
    }
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
