/**
 * Checksums the durable stores keep beside what they write, so corruption the file system or
 * SQLite cannot see (a flipped bit, a misdirected write) is detected when the data is read.
 */
import { createHash } from 'node:crypto';
import type { EntryType, HardState } from '../consensus/types.js';

/** Stable on-disk codes of entry types; never renumber. */
export const ENTRY_TYPE_CODES: Readonly<Record<EntryType, number>> = { command: 0, config: 1, noop: 2 };
const ENTRY_TYPES: readonly EntryType[] = ['command', 'config', 'noop'];

export function entryTypeFromCode(code: number): EntryType | undefined {
  return ENTRY_TYPES[code];
}

/** SHA-256 over (index, term, type code, data), the fields of a LogEntry. */
export function entryChecksum(index: number, term: number, typeCode: number, data: Uint8Array): Buffer {
  const header = Buffer.alloc(17);
  header.writeBigUInt64BE(BigInt(index), 0);
  header.writeBigUInt64BE(BigInt(term), 8);
  header.writeUInt8(typeCode, 16);
  return createHash('sha256').update(header).update(data).digest();
}

export function hardStateChecksum(state: HardState): Buffer {
  return createHash('sha256').update(JSON.stringify([state.term, state.vote, state.commit])).digest();
}
