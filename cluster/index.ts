/**
 * `vectorxlite/cluster`: what an application needs to use a cluster — ClusterClient, the
 * types of its calls, its errors and the cluster API's metadata keys. Nothing here loads a
 * node's runtime (Raft, storage, better-sqlite3) or the native addon; those are
 * `vectorxlite/cluster/node` (cluster/node/index.ts).
 */
export * from './client/index.js';
export {
  LEADER_ADDR_METADATA_KEY,
  REDIRECT_METADATA_KEY,
  CLIENT_ID_METADATA_KEY,
  CLIENT_SEQ_METADATA_KEY,
  FORWARDED_BY_METADATA_KEY,
} from './metadata-keys.js';
export { VectorXLiteError, ErrorCodes, isErrorCode, type ErrorCode } from '../src/errors.js';
export type { CallOptions, TlsOptions } from '../src/client/client.js';
export type { RetryPolicy } from '../src/client/retry.js';
export type * from '../src/embedded/types.js';
