import { runCli } from '../../../cluster/cli/cli.js';

export interface VxctlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs vxctl in this process (the same path as the bin, minus process start-up) and collects its output. */
export async function vxctl(args: string[], env: NodeJS.ProcessEnv = {}): Promise<VxctlResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env });
  return { code, stdout, stderr };
}

/** Runs a vxctl command that must succeed with --json, and parses its output. */
export async function vxctlJson<T = unknown>(args: string[], env: NodeJS.ProcessEnv = {}): Promise<T> {
  const r = await vxctl([...args, '--json'], env);
  if (r.code !== 0) throw new Error(`vxctl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
