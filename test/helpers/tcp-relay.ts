/**
 * A TCP relay a test puts between Keyfob and a server it depends on (Postgres, Redis), so it can take the
 * dependency away without touching the shared server: `cut()` drops every open connection and stops listening,
 * so new connections are refused as by a stopped server; `restore()` listens on the same port again.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { TestContext } from 'node:test';

export interface TcpRelay {
  port: number;
  /** The target URL with host and port replaced by the relay's. */
  url(targetUrl: string): string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  /**
   * Points the relay at another server, as a DNS name or a virtual IP is moved to a promoted standby: open
   * connections are dropped, new ones reach the new target.
   */
  retarget(target: { host: string; port: number }): void;
}

export async function startTcpRelay(t: TestContext, initial: { host: string; port: number }): Promise<TcpRelay> {
  const open = new Set<Socket>();
  let target = initial;
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = async () => {
    const closed = server.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : undefined;
    for (const socket of open) socket.destroy();
    open.clear();
    await closed;
  };
  await listen(0);
  const port = (server.address() as { port: number }).port;
  t.after(stop);
  return {
    port,
    url(targetUrl) {
      const url = new URL(targetUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    cut: stop,
    restore: () => listen(port),
    retarget(next) {
      target = next;
      for (const socket of open) socket.destroy();
      open.clear();
    },
  };
}
