/**
 * Writes a line to stdout synchronously, for child processes a test kills with SIGKILL: once
 * this returns, the line is in the pipe and survives the kill, so the parent never misses an
 * acknowledgement. (process.stdout.write may queue the bytes in the process, where a kill
 * loses them.)
 */
import { writeSync } from 'node:fs';

const pause = new Int32Array(new SharedArrayBuffer(4));

export function writeLineSync(line: string): void {
  const bytes = Buffer.from(`${line}\n`);
  let written = 0;
  while (written < bytes.byteLength) {
    try {
      written += writeSync(1, bytes, written);
    } catch (error) {
      // A non-blocking pipe is full while the parent is busy: wait a moment for it to read.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}
