/** `vectorxlite/client`: the VectorXLite gRPC server, with the embedded API's shapes. */
export { VectorXLiteClient, type ClientOptions, type CallOptions, type SnapshotTransferOptions, type TlsOptions } from './client.js';
export type { RetryPolicy } from './retry.js';
export { fromServiceError } from './errors.js';
export { VectorXLiteError, ErrorCodes, isErrorCode, type ErrorCode } from '../errors.js';
export type * from '../embedded/types.js';
