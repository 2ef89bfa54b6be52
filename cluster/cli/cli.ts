/**
 * vxctl from argv to exit status: parse, connect to the target, run one command, print.
 * Exit status 0 on success, 1 when the server refused or failed (its code printed), 2 for a
 * usage error. Output goes to the given streams so the whole path runs in tests unchanged.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { VectorXLiteClient, type ClientOptions } from '../../src/client/client.js';
import { VectorXLiteError } from '../../src/errors.js';
import { ClusterClient } from '../client/cluster-client.js';
import { COMMANDS, findCommand, type CommandSpec, type FlagSpec, type FlagValues, type Target } from './commands.js';
import { parseInteger, UsageError } from './values.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

/** Node1's client API in `npm run cluster:up`, and the standalone server's default port. */
const DEFAULT_CLUSTER_ADDR = '127.0.0.1:5002';
const DEFAULT_STANDALONE_ADDR = '127.0.0.1:50051';

const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  addr: { description: `target host:port; for a cluster, a comma list of members (default ${DEFAULT_CLUSTER_ADDR}, ${DEFAULT_STANDALONE_ADDR} with --standalone)`, value: 'HOST:PORT' },
  standalone: { description: 'the target is a standalone vectorxlite-server, not a cluster node' },
  json: { description: 'print the result as JSON' },
  token: { description: 'auth token (default: $VXL_AUTH_TOKEN)', value: 'TOKEN' },
  tls: { description: "connect over TLS, trusting the system's roots" },
  'tls-ca': { description: 'connect over TLS, trusting this CA certificate (PEM file)', value: 'FILE' },
  'tls-server-name': { description: 'name to check the certificate against', value: 'NAME' },
  'deadline-ms': { description: 'give up after this long, retries included (default 30000)', value: 'MS' },
  help: { description: 'show help' },
};

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const { name, rest } = splitCommand(argv);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout)(`${mainHelp()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = findCommand(name);
  if (command === undefined) {
    io.stderr(`vxctl: unknown command "${name}"\n\n${mainHelp()}\n`);
    return 2;
  }
  let flags: FlagValues;
  let target: Target;
  try {
    flags = parseFlags(command, rest);
    if (flags.help !== undefined) {
      io.stdout(`${commandHelp(command)}\n`);
      return 0;
    }
    target = connect(command, flags, io.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr(`vxctl ${command.name}: ${err.message}\nRun "vxctl ${command.name} --help" for usage.\n`);
    return 2;
  }
  try {
    const outcome = await command.run(target, flags);
    io.stdout(`${flags.json !== undefined ? JSON.stringify(outcome.json) : outcome.text}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`vxctl ${command.name}: ${err.message}\nRun "vxctl ${command.name} --help" for usage.\n`);
      return 2;
    }
    const error = err instanceof VectorXLiteError ? err : new VectorXLiteError('INTERNAL', err instanceof Error ? err.message : String(err));
    io.stderr(flags.json !== undefined ? `${JSON.stringify({ error: { code: error.code, message: error.message } })}\n` : `error: ${error.code}: ${error.message}\n`);
    return 1;
  } finally {
    await target.client.close();
  }
}

/**
 * The command is the first argument that is neither a flag nor a global flag's value, so global
 * flags may come before it (`vxctl --addr h:p info`) as well as after it.
 */
function splitCommand(argv: readonly string[]): { name: string | undefined; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h') return { name: arg, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
    if (!arg.startsWith('--')) return { name: arg, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
    if (arg === '--help') continue;
    const spec = GLOBAL_FLAGS[arg.slice(2)];
    if (spec?.value !== undefined && !arg.includes('=')) i++;
  }
  return { name: argv.includes('--help') ? '--help' : undefined, rest: argv.filter((arg) => arg !== '--help') };
}

/** Every flag as a string ('' for booleans that are set); unknown, duplicate-less, positional-free. */
function parseFlags(command: CommandSpec, args: readonly string[]): FlagValues {
  const specs = { ...GLOBAL_FLAGS, ...command.flags };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...args],
      options: Object.fromEntries(Object.entries(specs).map(([flag, spec]) => [flag, { type: spec.value === undefined ? 'boolean' : 'string' }])),
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const flags: FlagValues = {};
  for (const [flag, value] of Object.entries(parsed.values)) {
    if (typeof value === 'string') flags[flag] = value;
    else if (value === true) flags[flag] = '';
  }
  if (flags.help !== undefined) return flags;
  for (const [flag, spec] of Object.entries(command.flags)) {
    if (spec.required && flags[flag] === undefined) throw new UsageError(`--${flag} is required (${spec.description})`);
    if (spec.clusterOnly && flags[flag] !== undefined && flags.standalone !== undefined) {
      throw new UsageError(`--${flag} applies to clusters only; drop it or --standalone`);
    }
  }
  return flags;
}

function connect(command: CommandSpec, flags: FlagValues, env: NodeJS.ProcessEnv): Target {
  const standalone = flags.standalone !== undefined;
  if (standalone && !command.standalone) throw new UsageError(`${command.name} works against a cluster only; drop --standalone`);
  const options = clientOptions(flags, env);
  const addresses = (flags.addr ?? (standalone ? DEFAULT_STANDALONE_ADDR : DEFAULT_CLUSTER_ADDR)).split(',').map((a) => a.trim());
  if (!addresses.every((a) => /^.+:\d+$/.test(a))) throw new UsageError(`--addr must be host:port (a comma list for a cluster), got "${flags.addr}"`);
  if (standalone) {
    if (addresses.length !== 1) throw new UsageError('--addr takes one host:port with --standalone');
    return { kind: 'standalone', client: new VectorXLiteClient(addresses[0], options), address: addresses[0] };
  }
  return { kind: 'cluster', client: new ClusterClient(addresses, options) };
}

function clientOptions(flags: FlagValues, env: NodeJS.ProcessEnv): ClientOptions {
  const options: ClientOptions = {};
  const token = flags.token ?? env.VXL_AUTH_TOKEN;
  if (token !== undefined && token !== '') options.token = token;
  if (flags['deadline-ms'] !== undefined) options.deadlineMs = parseInteger('deadline-ms', flags['deadline-ms'], { min: 1 });
  if (flags['tls-ca'] !== undefined) {
    let ca: Buffer;
    try {
      ca = readFileSync(flags['tls-ca']);
    } catch (err) {
      throw new UsageError(`--tls-ca cannot be read: ${(err as Error).message}`);
    }
    options.tls = { ca, serverName: flags['tls-server-name'] };
  } else if (flags.tls !== undefined || flags['tls-server-name'] !== undefined) {
    options.tls = { serverName: flags['tls-server-name'] };
  }
  return options;
}

function flagLines(specs: Record<string, FlagSpec>): string[] {
  const labels = Object.entries(specs).map(([flag, spec]) => `--${flag}${spec.value ? ` ${spec.value}` : ''}`);
  const width = Math.max(...labels.map((l) => l.length));
  return Object.values(specs).map((spec, i) => `  ${labels[i].padEnd(width)}  ${spec.description}${spec.required ? ' (required)' : ''}${spec.clusterOnly ? ' (cluster only)' : ''}`);
}

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: vxctl <command> [flags]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}${c.standalone ? '' : ' (cluster only)'}`),
    '',
    'Global flags:',
    ...flagLines(GLOBAL_FLAGS),
    '',
    'Run "vxctl <command> --help" for a command\'s flags. Exit status: 0 ok, 1 server error, 2 usage error.',
  ].join('\n');
}

function commandHelp(command: CommandSpec): string {
  return [
    `Usage: vxctl ${command.name} [flags]`,
    '',
    `${command.summary}${command.standalone ? '' : ' (cluster only)'}`,
    '',
    ...(Object.keys(command.flags).length > 0 ? ['Flags:', ...flagLines(command.flags), ''] : []),
    'Global flags:',
    ...flagLines(GLOBAL_FLAGS),
    '',
    'Examples:',
    ...command.examples.map((e) => `  ${e}`),
  ].join('\n');
}
