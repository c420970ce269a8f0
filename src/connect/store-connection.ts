/**
 * Stores what a connect produced, in one transaction: the user (found again by provider account), a new grant
 * with its tokens encrypted, and each vehicle (added, or moved from an older grant to this one). Grants that no
 * vehicle uses any more lose their tokens.
 */
import type { FastifyInstance } from 'fastify';
import type { TokenSet, VehicleDescription } from '../providers/provider-adapter.ts';

export async function storeConnection(
  app: FastifyInstance,
  input: { providerUserId: string; tokens: TokenSet; scopes: string[]; vehicles: VehicleDescription[] },
): Promise<{ userId: string; grantId: string; vehicleIds: string[] }> {
  const provider = app.provider.name;
  const stored = await app.db.$transaction(async (tx) => {
    const userId = await app.repos.users.findOrCreate(provider, input.providerUserId, tx);
    const grantId = await app.repos.grants.create({ userId, provider, scopes: input.scopes, tokens: input.tokens }, tx);
    const vehicleIds: string[] = [];
    for (const vehicle of input.vehicles) {
      vehicleIds.push(await app.repos.vehicles.connect({ userId, grantId, provider, vehicle }, tx));
    }
    await app.repos.grants.retireUnused(userId, tx);
    return { userId, grantId, vehicleIds };
  });
  // Vehicles may have moved grants: every instance drops what it cached for this user.
  await app.bus.publish({ kind: 'user', id: stored.userId });
  return stored;
}
