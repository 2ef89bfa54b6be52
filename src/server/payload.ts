import type { KeyValuePB, PayloadEntryPB, PayloadValuePB } from '../gen/vectorxlite/v1/vectorxlite.js';
import type { Payload, PayloadValue } from '../embedded/types.js';

/** The wire contract's string form of a payload value: NULL as `NULL`, blobs as base64. */
export function payloadValueToString(value: PayloadValue): string {
  if (value === null) return 'NULL';
  if (Buffer.isBuffer(value)) return value.toString('base64');
  return String(value);
}

export function payloadToKeyValues(payload: Payload): KeyValuePB[] {
  return Object.entries(payload).map(([key, value]) => ({ key, value: payloadValueToString(value) }));
}

export function payloadValueToWire(value: PayloadValue): PayloadValuePB {
  if (value === null) return { nullValue: true };
  if (Buffer.isBuffer(value)) return { blobValue: value };
  if (typeof value === 'string') return { textValue: value };
  return Number.isSafeInteger(value) ? { integerValue: value } : { realValue: value };
}

export function payloadToEntries(payload: Payload): PayloadEntryPB[] {
  return Object.entries(payload).map(([key, value]) => ({ key, value: payloadValueToWire(value) }));
}

export function payloadFromEntries(entries: PayloadEntryPB[]): Payload {
  const payload: Payload = {};
  for (const { key, value } of entries) payload[key] = payloadValueFromWire(value);
  return payload;
}

function payloadValueFromWire(value: PayloadValuePB | undefined): PayloadValue {
  if (!value || value.nullValue) return null;
  if (value.integerValue !== undefined) return value.integerValue;
  if (value.realValue !== undefined) return value.realValue;
  if (value.textValue !== undefined) return value.textValue;
  if (value.blobValue !== undefined) return value.blobValue;
  return null;
}
