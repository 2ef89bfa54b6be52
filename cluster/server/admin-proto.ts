/**
 * `vectorxlite.cluster.admin.ClusterAdmin`: what the cluster offers beyond the cluster.v1
 * wire contract, on the same port as ClusterService. Kept out of cluster.proto so that file
 * stays the contract existing clients were generated from. Defined here in protobufjs JSON
 * form and loaded with @grpc/proto-loader, so no generated code or .proto file ships with it.
 *
 * Field names are written in camelCase below (JSON descriptors are not case-converted, and
 * the handlers use camelCase); on the wire only the numbers count. The equivalent .proto:
 *
 *   package vectorxlite.cluster.admin;
 *   service ClusterAdmin {
 *     rpc InsertBatch(InsertBatchRequest) returns (InsertBatchResponse);
 *     rpc StateDigest(StateDigestRequest) returns (StateDigestResponse);
 *     rpc Backup(BackupRequest) returns (stream BackupChunk);
 *   }
 *   message BatchPoint { int64 id = 1; repeated float vector = 2; string payload_insert_query = 3; }
 *   message InsertBatchRequest { string collection_name = 1; repeated BatchPoint points = 2; }
 *   message InsertBatchResponse { bool success = 1; string message = 2; uint32 inserted = 3; }
 *   message StateDigestRequest {}
 *   message StateDigestResponse { string digest = 1; uint64 applied_index = 2; uint64 commit_index = 3; string node_id = 4; }
 *   message BackupRequest { uint32 chunk_size = 1; }
 *   message BackupMember { string id = 1; bool voter = 2; string raft_addr = 3; string cluster_addr = 4; }
 *   message BackupInfo {
 *     uint64 applied_index = 1; uint64 term = 2; repeated BackupMember members = 3; string leader_id = 4;
 *     uint64 size = 5; string sha256 = 6; string snapshot_id = 7; int64 created_at = 8;
 *   }
 *   message BackupChunk { BackupInfo info = 1; bytes data = 2; }
 */
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';

export interface BatchPoint {
  id: number;
  vector: number[];
  payloadInsertQuery: string;
}

export interface InsertBatchRequest {
  collectionName: string;
  points: BatchPoint[];
}

export interface InsertBatchResponse {
  success: boolean;
  message: string;
  inserted: number;
}

export type StateDigestRequest = Record<string, never>;

export interface StateDigestResponse {
  /** SHA-256 (hex) over every collection's configuration, vectors and payload rows. */
  digest: string;
  appliedIndex: number;
  commitIndex: number;
  nodeId: string;
}

export interface BackupRequest {
  /** Bytes of the file per chunk; 0 means the default (see backup.ts). */
  chunkSize: number;
}

export interface BackupMember {
  id: string;
  voter: boolean;
  raftAddr: string;
  clusterAddr: string;
}

/** What a backup is: the first message of the stream, before any of its bytes. */
export interface BackupInfo {
  /** The last log entry the backup includes, and its term. */
  appliedIndex: number;
  term: number;
  /** The configuration the leader held when it took the backup. */
  members: BackupMember[];
  /** The leader that took it. */
  leaderId: string;
  /** Length and SHA-256 (hex) of the whole file the data chunks make up. */
  size: number;
  sha256: string;
  /** The engine snapshot's own id and creation time (docs/snapshot-format.md). */
  snapshotId: string;
  createdAt: number;
}

/** The first chunk carries `info` and no data; the others carry the file's next bytes. */
export interface BackupChunk {
  info?: BackupInfo | null;
  data: Buffer;
}

type ProtoJson = Parameters<typeof fromJSON>[0];

const ADMIN_PROTO = {
  nested: {
    vectorxlite: {
      nested: {
        cluster: {
          nested: {
            admin: {
              nested: {
                ClusterAdmin: {
                  methods: {
                    InsertBatch: { requestType: 'InsertBatchRequest', responseType: 'InsertBatchResponse' },
                    StateDigest: { requestType: 'StateDigestRequest', responseType: 'StateDigestResponse' },
                    Backup: { requestType: 'BackupRequest', responseType: 'BackupChunk', responseStream: true },
                  },
                },
                BatchPoint: {
                  fields: {
                    id: { type: 'int64', id: 1 },
                    vector: { rule: 'repeated', type: 'float', id: 2 },
                    payloadInsertQuery: { type: 'string', id: 3 },
                  },
                },
                InsertBatchRequest: {
                  fields: {
                    collectionName: { type: 'string', id: 1 },
                    points: { rule: 'repeated', type: 'BatchPoint', id: 2 },
                  },
                },
                InsertBatchResponse: {
                  fields: {
                    success: { type: 'bool', id: 1 },
                    message: { type: 'string', id: 2 },
                    inserted: { type: 'uint32', id: 3 },
                  },
                },
                StateDigestRequest: { fields: {} },
                StateDigestResponse: {
                  fields: {
                    digest: { type: 'string', id: 1 },
                    appliedIndex: { type: 'uint64', id: 2 },
                    commitIndex: { type: 'uint64', id: 3 },
                    nodeId: { type: 'string', id: 4 },
                  },
                },
                BackupRequest: { fields: { chunkSize: { type: 'uint32', id: 1 } } },
                BackupMember: {
                  fields: {
                    id: { type: 'string', id: 1 },
                    voter: { type: 'bool', id: 2 },
                    raftAddr: { type: 'string', id: 3 },
                    clusterAddr: { type: 'string', id: 4 },
                  },
                },
                BackupInfo: {
                  fields: {
                    appliedIndex: { type: 'uint64', id: 1 },
                    term: { type: 'uint64', id: 2 },
                    members: { rule: 'repeated', type: 'BackupMember', id: 3 },
                    leaderId: { type: 'string', id: 4 },
                    size: { type: 'uint64', id: 5 },
                    sha256: { type: 'string', id: 6 },
                    snapshotId: { type: 'string', id: 7 },
                    createdAt: { type: 'int64', id: 8 },
                  },
                },
                BackupChunk: {
                  fields: {
                    info: { type: 'BackupInfo', id: 1 },
                    data: { type: 'bytes', id: 2 },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as unknown as ProtoJson;

export const ADMIN_SERVICE_NAME = 'vectorxlite.cluster.admin.ClusterAdmin';

function loadAdminService(): ServiceDefinition {
  // Numbers for 64-bit integers, like the ts-proto code of cluster.v1.
  const definition = fromJSON(ADMIN_PROTO, { longs: Number, defaults: true, arrays: true });
  const pkg = loadPackageDefinition(definition) as unknown as {
    vectorxlite: { cluster: { admin: { ClusterAdmin: { service: ServiceDefinition } } } };
  };
  return pkg.vectorxlite.cluster.admin.ClusterAdmin.service;
}

export const ClusterAdminService = loadAdminService();
