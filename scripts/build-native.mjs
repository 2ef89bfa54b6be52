#!/usr/bin/env node
// Builds the native addon (crates/node) in release mode and puts it at the package root as
// vectorxlite.<target>.node, where src/embedded/native.ts looks for a local build.
//
// It runs `napi build` from @napi-rs/cli (a devDependency), which builds the plain cdylib
// (no `napi` crate needed) and names the file. When the CLI is absent (an install with
// --omit=dev), it runs cargo itself and copies the library to the same name.
//
// How SQLite is linked is set in .cargo/config.toml ([env]: statically, from Debian's
// libsqlite3.a), so cargo test, napi build and plain cargo build agree.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = join(root, 'crates', 'node', 'Cargo.toml');

// The same table as src/embedded/native.ts (which cannot be imported here: this script
// runs during `npm ci`, before TypeScript is compiled).
export const SUPPORTED_PLATFORMS = ['linux-x64-gnu', 'darwin-x64', 'darwin-arm64', 'win32-x64-msvc'];
const TARGETS = {
  'linux-x64': 'linux-x64-gnu',
  'darwin-x64': 'darwin-x64',
  'darwin-arm64': 'darwin-arm64',
  'win32-x64': 'win32-x64-msvc',
};

/** True on a Linux whose C library is not glibc (vectorlite ships no binary for it). */
function isMusl() {
  return process.platform === 'linux' && process.report?.getReport()?.header?.glibcVersionRuntime === undefined;
}

/** The napi-rs target name of this machine, or undefined on an unsupported platform. */
export function currentTarget() {
  return isMusl() ? undefined : TARGETS[`${process.platform}-${process.arch}`];
}

export function unsupportedMessage() {
  const name = `${process.platform}-${process.arch}${isMusl() ? '-musl' : ''}`;
  return `VectorXLite does not support the platform ${name}: it runs on ${SUPPORTED_PLATFORMS.join(', ')}.`;
}

export function addonPath(target) {
  return join(root, `vectorxlite.${target}.node`);
}

function run(command, args) {
  console.log(`[build-native] ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} exited with ${result.status ?? result.signal}`);
}

function napiCli() {
  try {
    return createRequire(join(root, 'package.json')).resolve('@napi-rs/cli/package.json');
  } catch {
    return undefined;
  }
}

/** The cdylib cargo writes for crate vectorxlite-node (lib name vectorxlite_node). */
function cargoArtifact() {
  const file = { win32: 'vectorxlite_node.dll', darwin: 'libvectorxlite_node.dylib' }[process.platform] ?? 'libvectorxlite_node.so';
  return join(root, 'target', 'release', file);
}

export function buildNative() {
  const target = currentTarget();
  if (target === undefined) throw new Error(unsupportedMessage());
  const cli = napiCli();
  if (cli) {
    const bin = join(dirname(cli), 'dist', 'cli.js');
    run(process.execPath, [bin, 'build', '--platform', '--release', '--manifest-path', manifest,
      '--package-json-path', join(root, 'package.json'), '--output-dir', root, '--no-js']);
  } else {
    console.log('[build-native] @napi-rs/cli is not installed: building with cargo directly');
    run('cargo', ['build', '--release', '--manifest-path', manifest]);
    copyFileSync(cargoArtifact(), addonPath(target));
  }
  const out = addonPath(target);
  if (!existsSync(out)) throw new Error(`the build finished but ${out} is missing`);
  console.log(`[build-native] built ${out}`);
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    buildNative();
  } catch (error) {
    console.error(`[build-native] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
