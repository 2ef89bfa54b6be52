#!/usr/bin/env node
// The package's `install` script (runs on `npm ci` / `npm install` once dependencies are in).
//
// 1. On an unsupported platform: fail, naming the platform and the supported ones.
// 2. If the prebuilt addon of this platform's package (npm/<target>) loads: nothing to do.
// 3. Otherwise build the addon from source. Its Debian build dependencies are the
//    librust-*-dev packages of the crates that crates/*/Cargo.toml name (Cargo builds offline
//    from /usr/share/cargo/registry, see .cargo/config.toml), libsqlite3-dev and pkg-config.
//    Missing ones are installed with apt-get when running as root; otherwise the script
//    stops and prints the exact command to run. bindgen and libclang are only needed to
//    regenerate the Node-API bindings (scripts/gen-napi-bindings.sh), not to build.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNative, currentTarget, unsupportedMessage } from './build-native.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (message) => console.log(`[vectorxlite install] ${message}`);

function fail(message) {
  console.error(`[vectorxlite install] ${message}`);
  process.exit(1);
}

/** True when the platform package's addon is installed and loads in this Node. */
function prebuiltLoads(target) {
  try {
    createRequire(join(root, 'package.json'))(`vectorxlite-${target}`);
    return true;
  } catch {
    return false;
  }
}

function succeeds(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'ignore' });
  return result.status === 0;
}

/**
 * Registry dependencies of the workspace crates as [crate, features] pairs, read from the
 * [dependencies], [dev-dependencies] and [build-dependencies] tables (path dependencies
 * are workspace crates and skipped). Dev-dependencies count: Cargo resolves them for
 * every build of the workspace, and `npm test` runs `cargo test`.
 */
function crateDependencies() {
  const deps = new Map();
  const crates = join(root, 'crates');
  for (const crate of readdirSync(crates)) {
    const manifest = join(crates, crate, 'Cargo.toml');
    if (!existsSync(manifest)) continue;
    let inDependencies = false;
    for (const line of readFileSync(manifest, 'utf8').split('\n')) {
      const table = line.match(/^\s*\[([^\]]+)\]/);
      if (table) {
        inDependencies = /^(dev-|build-)?dependencies$/.test(table[1].trim());
        continue;
      }
      const entry = inDependencies && line.match(/^\s*([A-Za-z0-9_-]+)\s*=\s*(.*)$/);
      if (!entry || /\bpath\s*=/.test(entry[2])) continue;
      const features = [...(entry[2].match(/features\s*=\s*\[([^\]]*)\]/)?.[1].matchAll(/"([^"]+)"/g) ?? [])].map((m) => m[1]);
      deps.set(entry[1], [...new Set([...(deps.get(entry[1]) ?? []), ...features])]);
    }
  }
  return deps;
}

/** Debian's name for a crate (and for one of its features): librust-<crate>[+<feature>]-dev. */
function debianPackage(crate, feature) {
  const name = (s) => s.toLowerCase().replaceAll('_', '-');
  return `librust-${name(crate)}${feature ? `+${name(feature)}` : ''}-dev`;
}

function installed(pkg) {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.includes('install ok installed');
}

/** The Debian packages the build needs and lacks. */
function missingPackages() {
  const crates = crateDependencies();
  const packages = ['libsqlite3-dev', 'pkg-config', ...[...crates.keys()].map((c) => debianPackage(c))];
  const missing = packages.filter((pkg) => !installed(pkg));
  if (!succeeds('cc', ['--version'])) missing.push('gcc');
  // Feature packages are mostly virtual (provided by the crate's package), which dpkg cannot
  // answer for; Cargo can: resolving the workspace offline fails when any crate is absent.
  if (!succeeds('cargo', ['metadata', '--offline', '--format-version', '1', '--manifest-path', join(root, 'Cargo.toml')])) {
    for (const [crate, features] of crates) {
      for (const feature of features) missing.push(debianPackage(crate, feature));
    }
  }
  return missing;
}

function installPackages(packages) {
  const isRoot = process.getuid?.() === 0;
  const command = `apt-get update && apt-get install -y ${packages.join(' ')}`;
  if (!isRoot) {
    fail(
      `building the native addon needs these Debian packages: ${packages.join(' ')}\n` +
        `Install them, then run npm ci again:\n  sudo sh -c '${command}'`,
    );
  }
  log(`installing build dependencies: ${command}`);
  for (const args of [['update'], ['install', '-y', ...packages]]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (result.status !== 0) fail(`apt-get ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
  }
}

function main() {
  const target = currentTarget();
  if (target === undefined) fail(unsupportedMessage());
  if (prebuiltLoads(target)) {
    log(`using the prebuilt addon from vectorxlite-${target}`);
    return;
  }
  log(`no prebuilt addon for ${target}: building it from source`);
  if (!existsSync(join(root, 'crates', 'node', 'Cargo.toml'))) {
    fail(`the package vectorxlite-${target} is not installed and this copy of vectorxlite has no Rust sources to build from.`);
  }
  if (!succeeds('cargo', ['--version'])) {
    fail(
      'cargo is not installed. Install a current Rust toolchain (https://rustup.rs; Debian 12\'s own cargo 1.63 is too ' +
        'old for crates/node/Cargo.toml\'s rust-version), then run npm ci again.',
    );
  }
  const missing = missingPackages();
  if (missing.length > 0) installPackages(missing);
  else log('build dependencies present (Debian Rust crates, libsqlite3-dev, pkg-config)');
  try {
    buildNative();
  } catch (error) {
    fail(`building the native addon failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

main();
