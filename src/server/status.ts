import { Metadata, status } from '@grpc/grpc-js';
import { VectorXLiteError, isErrorCode, type ErrorCode } from '../errors.js';

/** Trailing metadata key carrying the VectorXLite code where the gRPC status alone is ambiguous. */
export const ERROR_CODE_METADATA_KEY = 'x-vxl-code';

/**
 * The one table from VectorXLite error codes to gRPC status codes, used by the server to
 * answer and (reversed) by the client to rebuild the error.
 */
export const grpcStatusByErrorCode: Readonly<Record<ErrorCode, status>> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  DIMENSION_MISMATCH: status.INVALID_ARGUMENT,
  SQL_ERROR: status.INVALID_ARGUMENT,
  FORBIDDEN_SQL: status.INVALID_ARGUMENT,
  SNAPSHOT_INVALID: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  // The database closes only while the server shuts down: another server may answer.
  CLOSED: status.UNAVAILABLE,
  UNAVAILABLE: status.UNAVAILABLE,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  CANCELLED: status.CANCELLED,
  IO_ERROR: status.INTERNAL,
  INTERNAL: status.INTERNAL,
};

/** Status codes no VectorXLite code maps to, as the error a client should see. */
const errorCodeByForeignStatus: Partial<Record<status, ErrorCode>> = {
  [status.PERMISSION_DENIED]: 'UNAUTHENTICATED',
  [status.OUT_OF_RANGE]: 'INVALID_ARGUMENT',
  [status.ABORTED]: 'UNAVAILABLE',
};

/**
 * The VectorXLite code for a gRPC status: the server's `x-vxl-code` when it agrees with the
 * status, else the code the status stands for in the table.
 */
export function errorCodeForStatus(code: status, metadata?: Metadata): ErrorCode {
  const carried = metadata?.get(ERROR_CODE_METADATA_KEY)[0];
  if (isErrorCode(carried) && grpcStatusByErrorCode[carried] === code) return carried;
  const direct = (Object.keys(grpcStatusByErrorCode) as ErrorCode[]).find(
    (c) => c === status[code] && grpcStatusByErrorCode[c] === code,
  );
  return direct ?? errorCodeByForeignStatus[code] ?? 'INTERNAL';
}

export interface StatusObject {
  code: status;
  details: string;
  metadata: Metadata;
}

/** The status a VectorXLiteError answers with; its message is meant for users, so it is sent as is. */
export function statusForError(err: VectorXLiteError): StatusObject {
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_METADATA_KEY, err.code);
  return { code: grpcStatusByErrorCode[err.code], details: err.message, metadata };
}
