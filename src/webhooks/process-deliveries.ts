/**
 * Processes stored webhook deliveries after they were answered, and once a minute deletes what is past keeping
 * (processed deliveries after a week, signal history after SIGNAL_HISTORY_DAYS): claims a batch (one instance per delivery), reads
 * the event, finds the Keyfob vehicles it is about (Smartcar's vehicle id and user id, matched to the connection
 * that holds them), applies the signals in one transaction that also marks the delivery processed, then tells every
 * instance's live streams of the owners (the bus). Only the database is touched: no connection is held while
 * anything waits on the network.
 *
 * A delivery is processed at least once (a crash after the commit's claim and before its end leaves it to be
 * claimed again) and applied at most once in effect: signals are unique by their own timestamp, so processing it
 * again adds nothing. Deliveries for a vehicle or user Keyfob does not know are marked so and counted.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { InvalidationBus } from '../cache/invalidation-bus.ts';
import type { Database } from '../db/prisma-client.ts';
import type { KeyfobMetrics } from '../metrics/keyfob-metrics.ts';
import type { UserKeyRepository } from '../repositories/user-keys.ts';
import type { VehicleSignalRepository } from '../repositories/vehicle-signals.ts';
import type { ClaimedDelivery, WebhookDeliveryRepository } from '../repositories/webhook-deliveries.ts';
import { readEvent } from './smartcar/events.ts';

const BATCH = 50;
const SWEEP_MS = 5_000;
const PRUNE_EVERY_SWEEPS = 12;
export const KEEP_PROCESSED_MS = 7 * 24 * 3600_000;

export function createDeliveryProcessor(deps: {
  db: Database;
  deliveries: WebhookDeliveryRepository;
  signals: VehicleSignalRepository;
  userKeys: UserKeyRepository;
  bus: InvalidationBus;
  metrics: KeyfobMetrics;
  log: FastifyBaseLogger;
  /** How long signal history is kept (SIGNAL_HISTORY_DAYS). */
  historyMs: number;
}) {
  const { db, deliveries, signals, userKeys, bus, metrics, log } = deps;

  async function processOne(delivery: ClaimedDelivery): Promise<void> {
    const event = readEvent(JSON.parse(delivery.body));
    let outcome: string;
    const owners = new Set<string>();
    if ('invalid' in event) outcome = 'malformed';
    else if (event.eventType !== 'VEHICLE_STATE' || !event.vehicleId) outcome = 'kept';
    else {
      const vehicles = await db.vehicle.findMany({
        where: {
          provider: delivery.provider,
          providerVehicleId: event.vehicleId,
          ...(event.userId ? { grant: { providerAccountId: event.userId } } : {}),
        },
        select: { id: true, userId: true },
      });
      if (vehicles.length === 0) outcome = 'unknown_vehicle';
      else {
        let stale = 0;
        await db.$transaction(async (tx) => {
          for (const vehicle of vehicles) {
            // Sealed under the owner's data key; an owner erased since the lookup gets nothing stored.
            const secrets = await userKeys.secretsFor(vehicle.userId, tx);
            if (!secrets) continue;
            const applied = await signals.apply(vehicle.id, secrets, event.signals, event.eventId, tx);
            stale += applied.stale;
            if (applied.added > 0) owners.add(vehicle.userId);
          }
          await deliveries.finish(delivery.id, stale > 0 ? 'applied_with_older_values' : 'applied', tx);
        });
        outcome = 'applied';
        if (stale > 0) metrics.webhookEvents.inc({ outcome: 'older_value_ignored' }, stale);
      }
    }
    if (outcome !== 'applied') await deliveries.finish(delivery.id, outcome);
    metrics.webhookEvents.inc({ outcome });
    metrics.webhookLag.observe((Date.now() - delivery.receivedAt.getTime()) / 1000);
    for (const userId of owners) await bus.publish({ kind: 'vehicle_signals', id: userId });
  }

  let running: Promise<void> | undefined;
  let again = false;
  async function drain() {
    for (;;) {
      const claimed = await deliveries.claim(BATCH);
      for (const delivery of claimed) {
        try {
          await processOne(delivery);
        } catch (error) {
          // Left claimed: the sweep takes it again once the claim lapses.
          log.error({ err: error, deliveryId: delivery.id }, 'webhook delivery not processed');
        }
      }
      if (claimed.length < BATCH) return;
    }
  }

  /** Processes what is pending now; calls while a run is under way make it run once more. */
  function kick(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await drain().catch((error: Error) => log.warn({ err: error.message }, 'webhook processing failed; retrying'));
      } while (again);
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  let timer: NodeJS.Timeout | undefined;
  return {
    kick,
    /** Sweeps for deliveries left by a crash (theirs or another instance's) every few seconds. */
    start() {
      let sweeps = 0;
      timer = setInterval(() => {
        void kick();
        if (++sweeps % PRUNE_EVERY_SWEEPS === 0) {
          deliveries
            .prune(KEEP_PROCESSED_MS)
            .catch((error: Error) => log.warn({ err: error.message }, 'pruning failed'));
        }
      }, SWEEP_MS);
      timer.unref();
      void kick();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}

export type DeliveryProcessor = ReturnType<typeof createDeliveryProcessor>;
