/** Plain-text tables for vxctl's human-readable output. */

/** Columns padded to their widest cell; the last column is not padded. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** A payload value as one table cell. */
export function cell(value: unknown): string {
  if (value === null) return 'NULL';
  if (Buffer.isBuffer(value)) return value.toString('base64');
  return String(value);
}
