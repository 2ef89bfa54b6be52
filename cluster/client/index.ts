/** The cluster client SDK: ClusterClient and the types of its calls. */
export {
  ClusterClient,
  type BackupOptions,
  type ClusterBackup,
  type ClusterClientOptions,
  type ClusterInfo,
  type ClusterNode,
  type ClusterSearchOptions,
  type JoinOptions,
  type ReadCallOptions,
  type ReadConsistencyLevel,
} from './cluster-client.js';
export type { BackupInfo, BackupMember } from '../server/admin-proto.js';
export { discardUnfinishedSnapshotFiles } from './backup-file.js';
