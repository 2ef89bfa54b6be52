/**
 * The gRPC metadata keys of the cluster API, shared by the nodes and the client SDK. A module
 * of constants only, so the client entry (`vectorxlite/cluster`) can export them without
 * loading any of the node's runtime.
 */

/** WIRE.md: the leader's cluster address on a write a follower refused under --no-forward. */
export const LEADER_ADDR_METADATA_KEY = 'x-leader-addr';
/** WIRE.md: `true` beside `x-leader-addr` on such a refusal. */
export const REDIRECT_METADATA_KEY = 'x-redirect';
/** Set on forwarded calls: a node that gets one and does not lead redirects instead of forwarding again. */
export const FORWARDED_BY_METADATA_KEY = 'x-forwarded-by';
/** Optional writer identity for exactly-once retries (docs/cluster.md): who writes, and which of its writes. */
export const CLIENT_ID_METADATA_KEY = 'x-client-id';
export const CLIENT_SEQ_METADATA_KEY = 'x-client-seq';
