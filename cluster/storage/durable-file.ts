/**
 * Replacing a file so that a crash leaves either the old or the new content, never a mix:
 * write a temporary file, fsync it, rename it over the target, fsync the directory.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export function replaceFileDurably(dir: string, name: string, parts: Uint8Array[]): void {
  const target = join(dir, name);
  const temp = temporaryName(target);
  const fd = openSync(temp, 'w');
  try {
    for (const part of parts) writeFully(fd, part);
    // The content must be on disk before the rename can make it visible under the real name.
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, target);
  fsyncDirectory(dir);
}

/** Where replaceFileDurably writes before the rename; whatever is found there after a crash is garbage. */
export function temporaryName(target: string): string {
  return `${target}.tmp`;
}

/** Makes a rename or a new file in `dir` durable (the directory entry is data too). */
export function fsyncDirectory(dir: string): void {
  // Windows cannot open a directory for fsync; NTFS journals the rename itself.
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeFully(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.byteLength) offset += writeSync(fd, bytes, offset, bytes.byteLength - offset);
}
