import { open } from 'node:fs/promises';

/**
 * Flushes a file, or a directory after a rename into it, to the disk. Windows cannot open a
 * directory for fsync (NTFS journals the rename itself), so there a directory is skipped.
 */
export async function fsyncPath(path: string, { directory = false } = {}): Promise<void> {
  if (directory && process.platform === 'win32') return;
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
