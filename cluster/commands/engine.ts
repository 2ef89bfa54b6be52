import type { Engine } from '../../src/server/engine.js';

/**
 * What the cluster's state machine asks of the database it drives: the embedded
 * `VectorXLite`, or a `VectorXLiteClient` of a standalone server (--vector-addr), which has the
 * same method shapes and error codes.
 */
export type CommandEngine = Pick<
  Engine,
  | 'createCollection'
  | 'collectionExists'
  | 'listCollections'
  | 'collectionInfo'
  | 'insert'
  | 'insertBatch'
  | 'search'
  | 'get'
  | 'delete'
  | 'deleteCollection'
  | 'digest'
>;
