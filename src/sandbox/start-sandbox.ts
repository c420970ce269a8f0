/** Starts a sandbox on a loopback port (0 picks a free one) and tells where it listens. */
import type { AddressInfo } from 'node:net';
import { buildSandbox, type SandboxOptions } from './build-sandbox.ts';
import type { SandboxState } from './state/sandbox-state.ts';

export interface RunningSandbox {
  url: string;
  state: SandboxState;
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions & { port: number; host?: string }): Promise<RunningSandbox> {
  const { app, state } = await buildSandbox(options);
  await app.listen({ port: options.port, host: options.host ?? '127.0.0.1' });
  const address = app.server.address() as AddressInfo;
  return { url: `http://${options.host ?? '127.0.0.1'}:${address.port}`, state, close: () => app.close() };
}
