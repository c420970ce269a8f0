/** Decorates `fastify.config` with the validated configuration (see src/config/load-config.ts). */
import fp from 'fastify-plugin';
import type { Config } from '../../config/load-config.ts';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
  }
}

export default fp<{ config: Config }>(
  async (app, options) => {
    app.decorate('config', options.config);
  },
  { name: 'config' },
);
