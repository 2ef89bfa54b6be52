/**
 * The one error type of VectorXLite. The embedded engine, the gRPC server, the client SDKs
 * and the cluster all use these codes; callers match on `code`, never on message text.
 */
export const ErrorCodes = [
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'DIMENSION_MISMATCH',
  'SQL_ERROR',
  'FORBIDDEN_SQL',
  'SNAPSHOT_INVALID',
  'CLOSED',
  'IO_ERROR',
  'RESOURCE_EXHAUSTED',
  'UNAUTHENTICATED',
  'UNAVAILABLE',
  'FAILED_PRECONDITION',
  'DEADLINE_EXCEEDED',
  'CANCELLED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ErrorCodes as readonly string[]).includes(value);
}

export class VectorXLiteError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VectorXLiteError';
    this.code = code;
  }
}
