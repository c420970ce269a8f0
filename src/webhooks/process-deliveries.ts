/**
 * Processes stored webhook deliveries after they were answered, and once a minute deletes what is past keeping
 * (processed deliveries after a week, signal history after SIGNAL_HISTORY_DAYS): claims a batch (one instance per delivery), reads
 * the event, finds the Keyfob vehicles it is about (Smartcar's vehicle id and user id, matched to the connection
 * that holds them), applies the signals (VEHICLE_STATE) or the reported troubles (VEHICLE_ERROR, through
 * vehicle-status/record-conditions.ts) in one transaction that also marks the delivery processed, then tells every
 * instance's live streams of the owners (the bus). Only the database is touched: no connection is held while
 * anything waits on the network.
 *
 * A delivery is processed at least once (a crash after the commit's claim and before its end leaves it to be
 * claimed again) and applied at most once in effect: signals are unique by their own timestamp, so processing it
 * again adds nothing, and a reported trouble replaces only an older report of it. Deliveries for a vehicle or user
 * Keyfob does not know are marked so and counted.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { InvalidationBus } from '../cache/invalidation-bus.ts';
import type { Database } from '../db/prisma-client.ts';
import type { KeyfobMetrics } from '../metrics/keyfob-metrics.ts';
import type { UserKeyRepository } from '../repositories/user-keys.ts';
import type { VehicleSignalRepository } from '../repositories/vehicle-signals.ts';
import type { ClaimedDelivery, WebhookDeliveryRepository } from '../repositories/webhook-deliveries.ts';
import type { ConditionRecorder } from '../vehicle-status/record-conditions.ts';
import { readEvent, type SmartcarEvent } from './smartcar/events.ts';

const BATCH = 50;
const SWEEP_MS = 5_000;
const PRUNE_EVERY_SWEEPS = 12;
export const KEEP_PROCESSED_MS = 7 * 24 * 3600_000;
/** The event types that change what Keyfob holds; others are stored and marked `kept`. */
const APPLIED = new Set(['VEHICLE_STATE', 'VEHICLE_ERROR']);

type Vehicles = Array<{ id: string; userId: string }>;

export function createDeliveryProcessor(deps: {
  db: Database;
  deliveries: WebhookDeliveryRepository;
  signals: VehicleSignalRepository;
  userKeys: UserKeyRepository;
  conditions: ConditionRecorder;
  bus: InvalidationBus;
  metrics: KeyfobMetrics;
  log: FastifyBaseLogger;
  /** How long signal history is kept (SIGNAL_HISTORY_DAYS). */
  historyMs: number;
}) {
  const { db, deliveries, signals, userKeys, conditions, bus, metrics, log } = deps;

  /** The Keyfob vehicles an event is about: Smartcar's vehicle id, under the connection of the event's user. */
  const vehiclesOf = (provider: string, event: SmartcarEvent) =>
    db.vehicle.findMany({
      where: {
        provider,
        providerVehicleId: event.vehicleId,
        ...(event.userId ? { grant: { providerAccountId: event.userId } } : {}),
      },
      select: { id: true, userId: true },
    });

  /** VEHICLE_STATE: the signals, sealed under each owner's data key, and the delivery marked, in one transaction. */
  async function applySignals(delivery: ClaimedDelivery, event: SmartcarEvent, vehicles: Vehicles) {
    const owners = new Set<string>();
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
    if (stale > 0) metrics.webhookEvents.inc({ outcome: 'older_value_ignored' }, stale);
    for (const userId of owners) await bus.publish({ kind: 'vehicle_signals', id: userId });
  }

  /** VEHICLE_ERROR: each reported trouble, newest report wins, and the delivery marked, in one transaction. */
  async function applyConditions(delivery: ClaimedDelivery, event: SmartcarEvent, vehicles: Vehicles) {
    const recorded = await db.$transaction(async (tx) => {
      const result = await conditions.recordIn(tx, {
        provider: delivery.provider,
        vehicles,
        reports: event.conditions,
        source: event.eventId,
        endpoint: '/webhooks/smartcar',
        method: 'POST',
      });
      const older = result.reports.some(({ stored }) => !stored);
      await deliveries.finish(delivery.id, older ? 'applied_with_older_values' : 'applied', tx);
      return result;
    });
    await conditions.announce(recorded);
  }

  async function processOne(delivery: ClaimedDelivery): Promise<void> {
    const event = readEvent(JSON.parse(delivery.body), delivery.receivedAt);
    let outcome = 'applied';
    if ('invalid' in event) outcome = 'malformed';
    else if (!APPLIED.has(event.eventType) || !event.vehicleId) outcome = 'kept';
    else {
      const vehicles = await vehiclesOf(delivery.provider, event);
      if (vehicles.length === 0) outcome = 'unknown_vehicle';
      else if (event.eventType === 'VEHICLE_STATE') await applySignals(delivery, event, vehicles);
      else await applyConditions(delivery, event, vehicles);
    }
    if (outcome !== 'applied') await deliveries.finish(delivery.id, outcome);
    metrics.webhookEvents.inc({ outcome });
    metrics.webhookLag.observe((Date.now() - delivery.receivedAt.getTime()) / 1000);
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
