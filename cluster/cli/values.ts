/** Parsing of vxctl's flag values; every refusal is a UsageError that names the flag and the fix. */

/** A mistake in the command line: exit status 2, with the command's usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A JSON array (`[0.1, 0.2]`) or a comma list (`0.1,0.2`) of finite numbers. */
export function parseVector(flag: string, text: string): number[] {
  let values: unknown;
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      values = JSON.parse(trimmed);
    } catch {
      throw new UsageError(`--${flag} is not valid JSON: give a JSON array like [0.1,0.2] or a comma list like 0.1,0.2`);
    }
  } else {
    values = trimmed === '' ? [] : trimmed.split(',').map((part) => (part.trim() === '' ? NaN : Number(part)));
  }
  if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new UsageError(`--${flag} must be a non-empty list of finite numbers, e.g. [0.1,0.2] or 0.1,0.2`);
  }
  return values as number[];
}

export function parseInteger(flag: string, text: string, { min }: { min?: number } = {}): number {
  const value = /^-?\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || (min !== undefined && value < min)) {
    throw new UsageError(`--${flag} must be ${min === undefined ? 'an integer' : `an integer of at least ${min}`}, got "${text}"`);
  }
  return value;
}

export function parseChoice<T extends string>(flag: string, text: string, choices: readonly T[]): T {
  const lower = text.toLowerCase();
  const match = choices.find((c) => c === lower);
  if (match === undefined) throw new UsageError(`--${flag} must be one of ${choices.join(', ')}, got "${text}"`);
  return match;
}
