/**
 * `npm run fleet -- status`: every connected vehicle (of one user, or all) with its status as the person sees it
 * (vehicle-status/) and the troubles its provider reported, for an operator. VINs are masked; no token is read.
 */
import type { FastifyInstance } from 'fastify';
import { conditionOfRow } from '../vehicle-status/conditions.ts';
import { statusOf } from '../vehicle-status/vehicle-status.ts';

export async function vehicleStatuses(app: FastifyInstance, userId?: string) {
  const rows = await app.db.vehicle.findMany({
    where: userId ? { userId } : {},
    select: {
      id: true,
      userId: true,
      provider: true,
      vinLast4: true,
      clearanceStatus: true,
      grant: { select: { status: true, kind: true, pendingApproval: true } },
      conditions: { where: { state: 'ERROR' }, orderBy: { reportedAt: 'asc' } },
    },
    orderBy: [{ userId: 'asc' }, { createdAt: 'asc' }],
  });
  return rows.map((row) => {
    const conditions = row.conditions.map(conditionOfRow);
    return {
      vehicle: row.id,
      user: row.userId,
      provider: row.provider,
      vin: row.vinLast4 ? `*************${row.vinLast4}` : null,
      status: statusOf({
        grantStatus: row.grant.status,
        connectionKind: row.grant.kind === 'fleet' ? 'fleet' : 'user',
        clearanceStatus: row.clearanceStatus,
        pendingApproval: row.grant.pendingApproval,
        conditions,
      }),
      reported:
        conditions.map((c) => `${c.type}${c.code ? `/${c.code}` : ''}@${c.reportedAt.toISOString()}`).join(' ') || null,
    };
  });
}
