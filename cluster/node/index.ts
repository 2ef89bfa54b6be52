/**
 * `vectorxlite/cluster/node`: a cluster node's parts, to run or embed a node in-process
 * (the `vectorxlite-cluster` bin is cluster/node/main.ts). Loads the Raft runtime, its
 * storage (better-sqlite3) and the native addon; applications that only talk to a cluster
 * import `vectorxlite/cluster` instead.
 */
export { RaftNode, NotLeaderHere, type RaftNodeOptions, type WriteRequest } from '../runtime/raft-node.js';
export { ClusterMetrics, type RaftView } from '../runtime/metrics.js';
export { RemoteStateMachine, type RemoteStateMachineOptions } from '../runtime/remote-state-machine.js';
export type { ReplicaReads, ReplicaStateMachine } from '../runtime/replica.js';
export { startClusterNode, type RunningClusterNode } from './start.js';
export { parseNodeCommandLine, helpText as nodeHelpText, NODE_DEFAULTS, type NodeConfig, type ParsedNodeCommandLine } from './config.js';
export { ClusterService, CLUSTER_SERVICE_NAME, type ClusterServiceOptions } from '../server/cluster-service.js';
export { AdminService, InsertBatchMethod } from '../server/admin-service.js';
export {
  ClusterAdminService,
  ADMIN_SERVICE_NAME,
  type BatchPoint,
  type InsertBatchRequest,
  type InsertBatchResponse,
  type StateDigestRequest,
  type StateDigestResponse,
} from '../server/admin-proto.js';
