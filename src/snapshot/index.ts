export {
  SNAPSHOT_MAGIC,
  SNAPSHOT_VERSION,
  encodeContainerHeader,
  readContainerHeader,
  validateMetadata,
  type ContainerHeader,
} from './container.js';
export { snapshotChunks, resolveChunkSize, DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, type ExportStreamOptions } from './export-stream.js';
export { SnapshotStreamAssembler } from './import-assembler.js';
export { metadataFromWire, metadataToWire } from './wire.js';
