/**
 * Splits an InstallSnapshot message into the chunks of the InstallSnapshot stream and puts them
 * back together. The header names the data's size and SHA-256; the assembler hands out the
 * message only when both match, so a truncated or corrupted transfer never reaches the consensus.
 */
import { createHash } from 'node:crypto';
import type { InstallSnapshot } from '../../consensus/types.js';
import type { SnapshotChunk } from '../../../src/gen/cluster/v1/raft.js';
import { asBuffer, MalformedMessageError, snapshotMetaFromWire, snapshotMetaToWire } from './codec.js';

export function* snapshotChunks(message: InstallSnapshot, chunkBytes: number): Generator<SnapshotChunk> {
  const data = message.snapshot.data;
  yield {
    header: {
      from: message.from,
      to: message.to,
      term: message.term,
      meta: snapshotMetaToWire(message.snapshot.meta),
      totalSize: data.byteLength,
      sha256: createHash('sha256').update(data).digest(),
    },
    data: Buffer.alloc(0),
    final: data.byteLength === 0,
  };
  for (let offset = 0; offset < data.byteLength; offset += chunkBytes) {
    const end = Math.min(offset + chunkBytes, data.byteLength);
    yield { header: undefined, data: asBuffer(data.subarray(offset, end)), final: end === data.byteLength };
  }
}

/** Collects one stream's chunks in arrival order; `finish` checks them and returns the message. */
export class SnapshotAssembler {
  private header: SnapshotChunk['header'];
  private readonly parts: Buffer[] = [];
  private received = 0;
  private done = false;

  /** Throws MalformedMessageError as soon as the stream cannot be a valid snapshot. */
  push(chunk: SnapshotChunk): void {
    if (this.done) throw new MalformedMessageError('snapshot chunk after the final chunk');
    if (this.header === undefined) {
      if (chunk.header === undefined) throw new MalformedMessageError('the first snapshot chunk carries no header');
      this.header = chunk.header;
    } else if (chunk.header !== undefined) {
      throw new MalformedMessageError('a snapshot chunk after the first carries a header');
    }
    this.received += chunk.data.byteLength;
    if (this.received > this.header.totalSize) {
      throw new MalformedMessageError(`snapshot data exceeds the announced ${this.header.totalSize} bytes`);
    }
    if (chunk.data.byteLength > 0) this.parts.push(chunk.data);
    this.done = chunk.final;
  }

  finish(): InstallSnapshot {
    const header = this.header;
    if (header === undefined || !this.done) throw new MalformedMessageError('the snapshot stream ended before its final chunk');
    if (header.meta === undefined) throw new MalformedMessageError('the snapshot header carries no metadata');
    if (this.received !== header.totalSize) {
      throw new MalformedMessageError(`snapshot has ${this.received} bytes, the header announced ${header.totalSize}`);
    }
    const data = new Uint8Array(header.totalSize);
    let offset = 0;
    for (const part of this.parts) {
      data.set(part, offset);
      offset += part.byteLength;
    }
    const digest = createHash('sha256').update(data).digest();
    if (!digest.equals(header.sha256)) {
      throw new MalformedMessageError('snapshot data does not match its SHA-256 checksum', 'checksum');
    }
    return {
      type: 'InstallSnapshot',
      from: header.from,
      to: header.to,
      term: header.term,
      snapshot: { meta: snapshotMetaFromWire(header.meta), data },
    };
  }
}
