/**
 * Decorates `fastify.webhookProcessor`: the processing of stored webhook deliveries, started when the app is ready
 * (it first takes what a previous run left unprocessed) and stopped, after its current delivery, on close.
 */
import fp from 'fastify-plugin';
import { createDeliveryProcessor, type DeliveryProcessor } from '../../webhooks/process-deliveries.ts';

declare module 'fastify' {
  interface FastifyInstance {
    webhookProcessor: DeliveryProcessor;
  }
}

export default fp(
  async (app) => {
    const processor = createDeliveryProcessor({
      db: app.db,
      deliveries: app.repos.webhookDeliveries,
      signals: app.repos.vehicleSignals,
      userKeys: app.repos.userKeys,
      conditions: app.conditionRecorder,
      bus: app.bus,
      metrics: app.metrics,
      log: app.log,
      historyMs: app.config.signalHistoryDays * 24 * 3600_000,
    });
    app.decorate('webhookProcessor', processor);
    app.addHook('onReady', async () => processor.start());
    app.addHook('onClose', async () => processor.stop());
  },
  { name: 'webhooks', dependencies: ['services', 'cache', 'metrics'] },
);
