// The few parts of oidc-provider (which ships no types) the tests use.
declare module 'oidc-provider' {
  import type { Server } from 'node:http';

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    listen(port: number): Server;
    on(event: string, listener: (...args: unknown[]) => void): this;
    use(middleware: (ctx: { path: string }, next: () => Promise<void>) => Promise<void>): this;
  }
}
