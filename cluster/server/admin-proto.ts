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
 *   }
 *   message BatchPoint { int64 id = 1; repeated float vector = 2; string payload_insert_query = 3; }
 *   message InsertBatchRequest { string collection_name = 1; repeated BatchPoint points = 2; }
 *   message InsertBatchResponse { bool success = 1; string message = 2; uint32 inserted = 3; }
 *   message StateDigestRequest {}
 *   message StateDigestResponse { string digest = 1; uint64 applied_index = 2; uint64 commit_index = 3; string node_id = 4; }
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
