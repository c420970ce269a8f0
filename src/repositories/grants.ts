/**
 * Grants: the encrypted token pair of one consent, shared by the vehicles it covers. The tokens are sealed under
 * the user's data key (vault/data-keys.ts), read with the row in the same statement.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/prisma-client.ts';
import { Prisma } from '../generated/prisma/client.ts';
import type { TokenSet } from '../providers/provider-adapter.ts';
import type { DataKeys, UserSecrets } from '../vault/data-keys.ts';
import type { DatabaseClient } from './database-client.ts';
import type { UserKeyRepository } from './user-keys.ts';

const slot = (rowId: string, column: 'access_token_enc' | 'refresh_token_enc') => ({ table: 'grants', column, rowId });

export interface GrantTokens {
  id: string;
  /** The user whose consent this is: whose data key seals the tokens. */
  userId: string;
  /** The provider's name: which adapter refreshes this grant. */
  provider: string;
  status: 'active' | 'reauth_required' | 'revoked';
  version: number;
  scopes: string[];
  accessToken: string | null;
  refreshToken: string | null;
  accessExpiresAt: Date | null;
  refreshExpiresAt: Date | null;
}

export interface GrantRow {
  id: string;
  userId: string;
  /** The user's wrapped data key, joined into the read (null once erased). */
  wrappedKey: string | null;
  provider: string;
  status: GrantTokens['status'];
  version: number;
  scopes: string[];
  accessTokenEnc: string | null;
  refreshTokenEnc: string | null;
  accessExpiresAt: Date | null;
  refreshExpiresAt: Date | null;
}

/** The columns of a GrantRow, for the statements Prisma cannot express (database-clock leases). */
const GRANT_COLUMNS = Prisma.sql`id::text AS id, user_id::text AS "userId",
  (SELECT k.wrapped_key FROM user_data_keys k WHERE k.user_id = grants.user_id) AS "wrappedKey", provider, status::text AS status, version, scopes,
  access_token_enc AS "accessTokenEnc", refresh_token_enc AS "refreshTokenEnc",
  access_expires_at AS "accessExpiresAt", refresh_expires_at AS "refreshExpiresAt"`;

export function createGrantRepository(db: Database, dataKeys: DataKeys, userKeys: UserKeyRepository) {
  function sealed(secrets: UserSecrets, id: string, tokens: TokenSet) {
    return {
      accessTokenEnc: secrets.encrypt(tokens.accessToken, slot(id, 'access_token_enc')),
      refreshTokenEnc: tokens.refreshToken ? secrets.encrypt(tokens.refreshToken, slot(id, 'refresh_token_enc')) : null,
      accessExpiresAt: tokens.accessExpiresAt,
      refreshExpiresAt: tokens.refreshExpiresAt ?? null,
    };
  }

  /** Decrypts a grant row as read from the database. */
  function fromRow(row: GrantRow): GrantTokens {
    const secrets = dataKeys.secretsOf(row.userId, row.wrappedKey);
    return {
      id: row.id,
      userId: row.userId,
      provider: row.provider,
      status: row.status,
      version: row.version,
      scopes: row.scopes,
      accessToken: row.accessTokenEnc ? secrets.decrypt(row.accessTokenEnc, slot(row.id, 'access_token_enc')) : null,
      refreshToken: row.refreshTokenEnc
        ? secrets.decrypt(row.refreshTokenEnc, slot(row.id, 'refresh_token_enc'))
        : null,
      accessExpiresAt: row.accessExpiresAt,
      refreshExpiresAt: row.refreshExpiresAt,
    };
  }

  return {
    async create(
      input: { userId: string; provider: string; providerAccountId: string; scopes: string[]; tokens: TokenSet },
      client: DatabaseClient = db,
    ) {
      const id = randomUUID();
      const secrets = await userKeys.requireSecretsFor(input.userId, client);
      await client.grant.create({
        data: {
          id,
          userId: input.userId,
          provider: input.provider,
          providerAccountId: input.providerAccountId,
          scopes: input.scopes,
          pendingApproval: input.tokens.pendingApproval ?? false,
          ...sealed(secrets, id, input.tokens),
        },
      });
      return id;
    },

    /**
     * The user's fleet connection at a provider (no tokens: its vehicles use the application token), made on first
     * use. One per user and provider; fleet vehicles hang under it.
     */
    async fleetConnection(userId: string, provider: string, scopes: string[], client: DatabaseClient = db) {
      const found = await client.grant.findFirst({ where: { userId, provider, kind: 'fleet' }, select: { id: true } });
      if (found) return found.id;
      const id = randomUUID();
      await client.grant.create({ data: { id, userId, provider, kind: 'fleet', scopes } });
      return id;
    },

    /** The carmaker confirmed a pending consent (a data call succeeded, or a refresh said `approved`). */
    async markApproved(id: string): Promise<boolean> {
      const { count } = await db.grant.updateMany({
        where: { id, pendingApproval: true },
        data: { pendingApproval: false },
      });
      return count === 1;
    },

    /** The grant with its tokens decrypted, or null. */
    async findTokens(id: string, client: DatabaseClient = db): Promise<GrantTokens | null> {
      const [row] = await client.$queryRaw<GrantRow[]>`SELECT ${GRANT_COLUMNS} FROM grants WHERE id = ${id}::uuid`;
      return row ? fromRow(row) : null;
    },

    fromRow,

    /**
     * Takes the grant's refresh lease for `holder` if nobody holds a live one, in one statement on the database's
     * clock (so instances' clocks need not agree), and returns the grant as it is now either way. Waiters learn
     * what is left of the current lease (`leaseLeftMs`), so none waits longer than a crashed holder's lease lasts.
     */
    async takeRefreshLease(
      id: string,
      holder: string,
      leaseMs: number,
    ): Promise<{ taken: boolean; grant: GrantTokens | null; leaseLeftMs: number }> {
      const taken = await db.$queryRaw<GrantRow[]>`
        UPDATE grants SET refresh_lease_holder = ${holder}::uuid,
          refresh_lease_until = now() + make_interval(secs => ${leaseMs / 1000})
        WHERE id = ${id}::uuid AND status = 'active'
          AND (refresh_lease_until IS NULL OR refresh_lease_until < now())
        RETURNING ${GRANT_COLUMNS}`;
      const row = taken[0];
      if (row) return { taken: true, grant: fromRow(row), leaseLeftMs: leaseMs };
      // What is left of the lease, on the database's clock too: an instance whose clock runs ahead must not
      // think a live lease expired (and ask again at once, in a loop).
      const [current] = await db.$queryRaw<Array<GrantRow & { leaseLeftMs: number }>>`
        SELECT ${GRANT_COLUMNS},
          GREATEST(0, EXTRACT(EPOCH FROM (refresh_lease_until - now())) * 1000)::float8 AS "leaseLeftMs"
        FROM grants WHERE id = ${id}::uuid`;
      return { taken: false, grant: current ? fromRow(current) : null, leaseLeftMs: current?.leaseLeftMs ?? 0 };
    },

    /**
     * Stores a rotated pair and ends the lease, only while `holder` still holds it and nobody changed the grant
     * since `version` was read (fencing: a holder whose lease expired and was taken over stores nothing, so it can
     * never overwrite a newer pair). True when stored; false too when the user was erased meanwhile.
     */
    async storeRefreshed(
      grant: Pick<GrantTokens, 'id' | 'version' | 'userId'>,
      holder: string,
      tokens: TokenSet,
    ): Promise<boolean> {
      const { id, version } = grant;
      // The user was erased while the provider answered: there is nothing to store the new pair under.
      const secrets = await userKeys.secretsFor(grant.userId);
      if (!secrets) return false;
      const { count } = await db.grant.updateMany({
        where: { id, version, status: 'active', refreshLeaseHolder: holder },
        data: {
          ...sealed(secrets, id, tokens),
          ...(tokens.pendingApproval === false ? { pendingApproval: false } : {}),
          version: { increment: 1 },
          lastRefreshedAt: new Date(),
          refreshLeaseHolder: null,
          refreshLeaseUntil: null,
        },
      });
      return count === 1;
    },

    /** Ends `holder`'s lease without a change (the refresh failed or was not needed); false if it was not held. */
    async releaseRefreshLease(id: string, holder: string): Promise<boolean> {
      const { count } = await db.grant.updateMany({
        where: { id, refreshLeaseHolder: holder },
        data: { refreshLeaseHolder: null, refreshLeaseUntil: null },
      });
      return count === 1;
    },

    /**
     * Claims up to `limit` active grants whose refresh token expires before `before` for the keep-alive job, for
     * `claimMs`. SKIP LOCKED and the claim column let several instances share the work without taking a grant twice.
     */
    async claimExpiring(before: Date, limit: number, claimMs: number): Promise<string[]> {
      const rows = await db.$queryRaw<Array<{ id: string }>>`
        UPDATE grants SET keepalive_claimed_until = now() + make_interval(secs => ${claimMs / 1000})
        WHERE id IN (
          SELECT id FROM grants
          WHERE status = 'active' AND refresh_token_enc IS NOT NULL AND refresh_expires_at < ${before}
            AND (keepalive_claimed_until IS NULL OR keepalive_claimed_until < now())
          ORDER BY refresh_expires_at
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
        RETURNING id::text AS id`;
      return rows.map((row) => row.id);
    },

    /**
     * Marks the grant as needing a new consent. With `fence`, only while that lease holder still holds it at that
     * version: a refused refresh token proves nothing once another holder has stored a newer pair. True when marked.
     */
    async markReauthRequired(id: string, fence?: { version: number; holder: string }): Promise<boolean> {
      const { count } = await db.grant.updateMany({
        where: { id, status: 'active', ...(fence ? { version: fence.version, refreshLeaseHolder: fence.holder } : {}) },
        data: {
          status: 'reauth_required',
          version: { increment: 1 },
          refreshLeaseHolder: null,
          refreshLeaseUntil: null,
        },
      });
      return count === 1;
    },

    /** Deletes the tokens of grants that no vehicle uses any more (after a disconnect or a vehicle moving on). */
    async retireUnused(userId: string, client: DatabaseClient = db) {
      await client.grant.updateMany({
        where: { userId, kind: 'user', vehicles: { none: {} }, NOT: { status: 'revoked' } },
        data: { status: 'revoked', accessTokenEnc: null, refreshTokenEnc: null, version: { increment: 1 } },
      });
    },
  };
}

export type GrantRepository = ReturnType<typeof createGrantRepository>;
