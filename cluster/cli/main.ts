#!/usr/bin/env node
/** The `vxctl` bin: see docs/cli.md. */
import { constants } from 'node:os';
import { discardUnfinishedSnapshotFiles } from '../client/backup-file.js';
import { runCli } from './cli.js';

// An interrupted `vxctl backup` must not leave its half-written file behind. The default
// action of these signals ends the process before any cleanup, so handle them, then exit with
// the status the signal would have given.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (discardUnfinishedSnapshotFiles() > 0) process.stderr.write(`vxctl: ${signal}: removed the unfinished backup\n`);
    process.exit(128 + constants.signals[signal]);
  });
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
