export * from './client/index.js';
export { RaftNode, NotLeaderHere, type RaftNodeOptions, type WriteRequest } from './runtime/raft-node.js';
export { ClusterMetrics, type RaftView } from './runtime/metrics.js';
export { RemoteStateMachine, type RemoteStateMachineOptions } from './runtime/remote-state-machine.js';
export type { ReplicaReads, ReplicaStateMachine } from './runtime/replica.js';
export { startClusterNode, type RunningClusterNode } from './node/start.js';
export { parseNodeCommandLine, helpText as nodeHelpText, NODE_DEFAULTS, type NodeConfig, type ParsedNodeCommandLine } from './node/config.js';
export { ClusterService, CLUSTER_SERVICE_NAME, type ClusterServiceOptions } from './server/cluster-service.js';
export { AdminService, InsertBatchMethod } from './server/admin-service.js';
export {
  ClusterAdminService,
  ADMIN_SERVICE_NAME,
  type BatchPoint,
  type InsertBatchRequest,
  type InsertBatchResponse,
  type StateDigestRequest,
  type StateDigestResponse,
} from './server/admin-proto.js';
export { LEADER_ADDR_METADATA_KEY, REDIRECT_METADATA_KEY } from './server/redirect.js';
export { CLIENT_ID_METADATA_KEY, CLIENT_SEQ_METADATA_KEY, FORWARDED_BY_METADATA_KEY } from './server/leader-router.js';
