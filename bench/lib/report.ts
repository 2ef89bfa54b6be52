/** What a benchmark run reports: machine description, a text table, and the JSON file. */
import { createRequire } from 'node:module';
import { cpus, totalmem, platform, arch, release } from 'node:os';

export function machineInfo() {
  const require = createRequire(import.meta.url);
  const version = (name: string) => (require(`${name}/package.json`) as { version: string }).version;
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpuCount: cpus().length,
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: platform(),
    arch: arch(),
    kernel: release(),
    node: process.version,
    vectorlite: version('vectorlite'),
    betterSqlite3: version('better-sqlite3'),
  };
}

/** Renders rows as a left-aligned first column and right-aligned numeric columns. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((row) => row[col]!.length)));
  const line = (cells: string[]) => cells.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
