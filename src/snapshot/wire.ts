import { SnapshotFileTypePB, type SnapshotMetadataPB } from '../gen/vectorxlite/v1/vectorxlite.js';
import type { SnapshotFileType, SnapshotMetadata } from '../embedded/types.js';
import { VectorXLiteError } from '../errors.js';
import { validateMetadata } from './container.js';

const toWire: Record<SnapshotFileType, SnapshotFileTypePB> = {
  sqlite_db: SnapshotFileTypePB.SNAPSHOT_FILE_TYPE_SQLITE_DB,
  hnsw_index: SnapshotFileTypePB.SNAPSHOT_FILE_TYPE_HNSW_INDEX,
  wal: SnapshotFileTypePB.SNAPSHOT_FILE_TYPE_WAL,
};

export function metadataToWire(metadata: SnapshotMetadata): SnapshotMetadataPB {
  return {
    snapshotId: metadata.snapshotId,
    createdAt: metadata.createdAt,
    totalSize: metadata.totalSize,
    version: metadata.version,
    checksum: metadata.checksum,
    files: metadata.files.map((f) => ({
      fileName: f.fileName,
      fileType: toWire[f.fileType],
      fileSize: f.fileSize,
      checksum: f.checksum,
    })),
  };
}

/** Wire metadata as the container's metadata, validated; checksums are compared in lowercase. */
export function metadataFromWire(pb: SnapshotMetadataPB): SnapshotMetadata {
  return validateMetadata({
    snapshotId: pb.snapshotId,
    createdAt: pb.createdAt,
    totalSize: pb.totalSize,
    version: pb.version,
    checksum: pb.checksum.toLowerCase(),
    files: pb.files.map((f) => {
      const fileType = (Object.keys(toWire) as SnapshotFileType[]).find((t) => toWire[t] === f.fileType);
      if (!fileType) {
        throw new VectorXLiteError('SNAPSHOT_INVALID', `snapshot file ${f.fileName} has unknown file_type ${f.fileType}`);
      }
      return { fileName: f.fileName, fileType, fileSize: f.fileSize, checksum: f.checksum.toLowerCase() };
    }),
  });
}
