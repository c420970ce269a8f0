/**
 * A real server binary (redis-server, redis-sentinel, pgbouncer, postgres) run by a test in a folder of its own,
 * stopped with the test. `ready` is polled until it answers true; `kill` takes the server away at once (SIGKILL),
 * as a crashed machine would.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ServerProcess {
  child: ChildProcess;
  output: string[];
  kill(): Promise<void>;
}

/** The first of these paths that exists, or undefined: the test then says what it skipped and why. */
export function findBinary(...paths: string[]): string | undefined {
  return paths.find((path) => existsSync(path));
}

export async function scratchDir(t: TestContext, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `keyfob-${prefix}-`));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function startServer(
  t: TestContext,
  name: string,
  command: string,
  args: string[],
  ready: () => Promise<boolean>,
  options: { timeoutMs?: number; uid?: number; gid?: number; cwd?: string } = {},
): Promise<ServerProcess> {
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  const output: string[] = [];
  child.stdout?.on('data', (chunk) => output.push(String(chunk)));
  child.stderr?.on('data', (chunk) => output.push(String(chunk)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  t.after(kill);
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited during start: ${output.join('')}`);
    if (await ready().catch(() => false)) return { child, output, kill };
    await sleep(100);
  }
  await kill();
  throw new Error(`${name} did not start in time: ${output.join('')}`);
}

/** Runs a command to its end without blocking the test's own event loop (its traffic goes on meanwhile). */
export function runAsync(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      output += String(chunk);
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} failed (${code}): ${output}`)),
    );
  });
}

/** Runs a command to its end; its output, or an error naming it. */
export function run(command: string, args: string[], options: { uid?: number; gid?: number } = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 120_000, ...options });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}
