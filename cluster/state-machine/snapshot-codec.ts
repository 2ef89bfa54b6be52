/**
 * The bytes of an EngineStateMachine snapshot: the applied index and the dedup table in front
 * of the engine's own snapshot file (docs/snapshot-format.md), so one byte array restores
 * both. The engine file carries its own checksums, which importSnapshot verifies.
 *
 *   offset 0   4 bytes  magic "VXSM"
 *   offset 4   1 byte   version (1)
 *   offset 5   8 bytes  applied index, unsigned little-endian
 *   offset 13  4 bytes  dedup table length N, unsigned little-endian
 *   offset 17  N bytes  dedup table, UTF-8 JSON (DedupTable.rows())
 *   offset 17+N         the engine snapshot file
 */
import { VectorXLiteError } from '../../src/errors.js';

const MAGIC = 'VXSM';
export const STATE_SNAPSHOT_VERSION = 1;
const HEADER = 17;

export interface StateSnapshot {
  appliedIndex: number;
  /** Parsed but not yet checked; DedupTable.fromRows checks it. */
  dedupRows: unknown;
  engineFile: Uint8Array;
}

function invalid(reason: string): VectorXLiteError {
  return new VectorXLiteError('SNAPSHOT_INVALID', `state machine snapshot: ${reason}.`);
}

export function encodeStateSnapshot(appliedIndex: number, dedupRows: unknown, engineFile: Uint8Array): Uint8Array {
  const dedup = Buffer.from(JSON.stringify(dedupRows), 'utf8');
  const out = new Uint8Array(HEADER + dedup.length + engineFile.length);
  const view = new DataView(out.buffer);
  out.set(Buffer.from(MAGIC, 'latin1'), 0);
  view.setUint8(4, STATE_SNAPSHOT_VERSION);
  view.setBigUint64(5, BigInt(appliedIndex), true);
  view.setUint32(13, dedup.length, true);
  out.set(dedup, HEADER);
  out.set(engineFile, HEADER + dedup.length);
  return out;
}

export function decodeStateSnapshot(data: Uint8Array): StateSnapshot {
  if (data.length < HEADER || Buffer.from(data.subarray(0, 4)).toString('latin1') !== MAGIC) {
    throw invalid('the bytes do not start with the magic "VXSM"');
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = view.getUint8(4);
  if (version !== STATE_SNAPSHOT_VERSION) throw invalid(`version ${version} is not supported (this node reads ${STATE_SNAPSHOT_VERSION})`);
  const applied = view.getBigUint64(5, true);
  if (applied > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(`applied index ${applied} is out of range`);
  const dedupLength = view.getUint32(13, true);
  if (dedupLength > data.length - HEADER) throw invalid('the dedup table runs past the end');
  let dedupRows: unknown;
  try {
    dedupRows = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(HEADER, HEADER + dedupLength)));
  } catch (error) {
    throw new VectorXLiteError('SNAPSHOT_INVALID', 'state machine snapshot: the dedup table is not UTF-8 JSON.', { cause: error });
  }
  return { appliedIndex: Number(applied), dedupRows, engineFile: data.subarray(HEADER + dedupLength) };
}
