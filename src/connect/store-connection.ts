/**
 * Stores what a connect produced, in one transaction: the user (found by the provider account's identity, or the
 * signed-in user, who gains that identity), a new connection (grant) with its tokens encrypted, and each vehicle
 * (added, or moved from an older grant to this one), whose reported troubles that needed a reconnect end. Grants
 * that no vehicle uses any more lose their tokens.
 */
import type { FastifyInstance } from 'fastify';
import type { TokenSet, VehicleDescription } from '../providers/provider-adapter.ts';

export async function storeConnection(
  app: FastifyInstance,
  input: {
    provider: string;
    providerAccountId: string;
    /** The user signed in on this browser, if any: the car joins them. */
    signedInUserId: string | undefined;
    /**
     * With an identity provider, people sign in there: a car joins the signed-in user, and the provider account is
     * no sign-in identity (it never finds or moves a user).
     */
    joinSignedInUser: boolean;
    tokens: TokenSet;
    scopes: string[];
    vehicles: VehicleDescription[];
  },
): Promise<{ userId: string; grantId: string; vehicleIds: string[] }> {
  const { provider } = input;
  const stored = await app.db.$transaction(async (tx) => {
    const userId =
      input.joinSignedInUser && input.signedInUserId
        ? input.signedInUserId
        : await app.repos.users.findOrCreateByIdentity(
            { kind: 'provider', issuer: provider, subject: input.providerAccountId },
            input.signedInUserId,
            tx,
          );
    const grantId = await app.repos.grants.create(
      { userId, provider, providerAccountId: input.providerAccountId, scopes: input.scopes, tokens: input.tokens },
      tx,
    );
    const vehicleIds: string[] = [];
    for (const vehicle of input.vehicles) {
      vehicleIds.push(await app.repos.vehicles.connect({ userId, grantId, provider, vehicle }, tx));
    }
    // Connecting again is what a reported `reconnect` trouble asked for: it ends (vehicle-status/conditions.ts).
    await app.repos.vehicleConditions.resolveReconnected(vehicleIds, tx);
    await app.repos.grants.retireUnused(userId, tx);
    return { userId, grantId, vehicleIds };
  });
  // Vehicles may have moved grants: every instance drops what it cached for this user, and the person's open
  // dashboards show the vehicles' new status.
  await app.bus.publish({ kind: 'user', id: stored.userId });
  await app.bus.publish({ kind: 'vehicle_status', id: stored.userId });
  return stored;
}
