/**
 * Records providers' reports about vehicles and tells everyone whose view changed. Inside the caller's
 * transaction: each report is stored unless a newer one is (repositories/vehicle-conditions.ts), and each vehicle's
 * status is read before and after. After the commit: the metric by type, code and state (no user or vehicle
 * label), an audit event for each vehicle whose status changed, and two bus messages per owner (every instance's
 * proxy cache drops the owner's vehicles, so a `reauth_required` is in force on the next call; every open live
 * stream of the owner sends the new status).
 */
import type { InvalidationBus } from '../cache/invalidation-bus.ts';
import type { KeyfobMetrics } from '../metrics/keyfob-metrics.ts';
import type { AuditInput } from '../repositories/audit.ts';
import type { DatabaseClient } from '../repositories/database-client.ts';
import type { VehicleConditionRepository } from '../repositories/vehicle-conditions.ts';
import type { ReportedCondition } from './conditions.ts';
import { statusOf } from './vehicle-status.ts';

export interface StatusChange {
  vehicleId: string;
  userId: string;
  from: string;
  to: string;
}

/** What was made of a batch of reports, to announce once the transaction committed. */
export interface RecordedConditions {
  provider: string;
  reports: Array<{ report: ReportedCondition; stored: boolean }>;
  changes: StatusChange[];
  owners: Set<string>;
  /** For the audit event: where the reports came from (`/webhooks/smartcar`, or the proxied route). */
  endpoint: string;
  method: string;
  source: string;
}

export function createConditionRecorder(deps: {
  conditions: VehicleConditionRepository;
  audit: { enqueue(event: AuditInput): void };
  metrics: KeyfobMetrics;
  bus: InvalidationBus;
}) {
  const { conditions, audit, metrics, bus } = deps;

  return {
    /** Stores the reports for each vehicle in the caller's transaction. */
    async recordIn(
      client: DatabaseClient,
      input: {
        provider: string;
        vehicles: Array<{ id: string; userId: string }>;
        reports: ReportedCondition[];
        source: string;
        endpoint: string;
        method: string;
      },
    ): Promise<RecordedConditions> {
      const recorded: RecordedConditions = {
        provider: input.provider,
        reports: [],
        changes: [],
        owners: new Set(),
        endpoint: input.endpoint,
        method: input.method,
        source: input.source,
      };
      for (const vehicle of input.vehicles) {
        const before = await conditions.statusInput(vehicle.id, client);
        if (!before) continue;
        let changed = false;
        for (const report of input.reports) {
          const stored = await conditions.apply(vehicle.id, report, input.source, client);
          recorded.reports.push({ report, stored });
          changed ||= stored;
        }
        if (!changed) continue;
        recorded.owners.add(vehicle.userId);
        const after = await conditions.statusInput(vehicle.id, client);
        const from = statusOf(before);
        const to = after ? statusOf(after) : from;
        if (from !== to) recorded.changes.push({ vehicleId: vehicle.id, userId: vehicle.userId, from, to });
      }
      return recorded;
    },

    /** After the commit: metrics, audit, and the bus. */
    async announce(recorded: RecordedConditions): Promise<void> {
      for (const { report, stored } of recorded.reports) {
        metrics.vehicleConditions.inc({
          provider: recorded.provider,
          type: report.type,
          code: report.code || 'none',
          state: report.state,
          outcome: stored ? 'applied' : 'older_ignored',
        });
      }
      for (const change of recorded.changes) {
        audit.enqueue({
          userId: change.userId,
          vehicleId: change.vehicleId,
          clientId: `provider:${recorded.provider}`,
          action: 'vehicle_status',
          endpoint: recorded.endpoint,
          method: recorded.method,
          status: 200,
          outcome: `${change.from}->${change.to}`,
          requestId: `${recorded.source}:${change.vehicleId}`,
        });
      }
      for (const userId of recorded.owners) {
        await bus.publish({ kind: 'user', id: userId });
        await bus.publish({ kind: 'vehicle_status', id: userId });
      }
    },
  };
}

export type ConditionRecorder = ReturnType<typeof createConditionRecorder>;
