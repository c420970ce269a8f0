/**
 * Keyfob as a separate process (`node src/server.ts`), the way production runs several instances: each has its
 * own memory, pool and single flight, and can be killed with SIGKILL mid-refresh.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LIFTED_RATE_LIMITS } from './lifted-rate-limits.ts';

export interface KeyfobProcess {
  url: string;
  child: ChildProcess;
  output: string[];
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
}

export async function spawnKeyfob(t: TestContext, port: number, env: NodeJS.ProcessEnv): Promise<KeyfobProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...LIFTED_RATE_LIMITS,
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (chunk) => output.push(String(chunk)));
  child.stderr?.on('data', (chunk) => output.push(String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`keyfob exited during start: ${output.join('')}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, child, output, exited };
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`keyfob did not start in time: ${output.join('')}`);
}
