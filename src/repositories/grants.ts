/** Grants: the encrypted token pair of one consent, shared by the vehicles it covers. */
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/prisma-client.ts';
import type { TokenSet } from '../providers/provider-adapter.ts';
import type { TokenVault } from '../vault/token-vault.ts';
import type { DatabaseClient } from './database-client.ts';

const slot = (rowId: string, column: 'access_token_enc' | 'refresh_token_enc') => ({ table: 'grants', column, rowId });

export interface GrantTokens {
  id: string;
  status: 'active' | 'reauth_required' | 'revoked';
  version: number;
  scopes: string[];
  accessToken: string | null;
  refreshToken: string | null;
  accessExpiresAt: Date | null;
  refreshExpiresAt: Date | null;
}

interface GrantRow {
  id: string;
  status: GrantTokens['status'];
  version: number;
  scopes: string[];
  accessTokenEnc: string | null;
  refreshTokenEnc: string | null;
  accessExpiresAt: Date | null;
  refreshExpiresAt: Date | null;
}

export function createGrantRepository(db: Database, vault: TokenVault) {
  function sealed(id: string, tokens: TokenSet) {
    return {
      accessTokenEnc: vault.encrypt(tokens.accessToken, slot(id, 'access_token_enc')),
      refreshTokenEnc: tokens.refreshToken ? vault.encrypt(tokens.refreshToken, slot(id, 'refresh_token_enc')) : null,
      accessExpiresAt: tokens.accessExpiresAt,
      refreshExpiresAt: tokens.refreshExpiresAt ?? null,
    };
  }

  /** Decrypts a grant row as read from the database. */
  function fromRow(row: GrantRow): GrantTokens {
    return {
      id: row.id,
      status: row.status,
      version: row.version,
      scopes: row.scopes,
      accessToken: row.accessTokenEnc ? vault.decrypt(row.accessTokenEnc, slot(row.id, 'access_token_enc')) : null,
      refreshToken: row.refreshTokenEnc ? vault.decrypt(row.refreshTokenEnc, slot(row.id, 'refresh_token_enc')) : null,
      accessExpiresAt: row.accessExpiresAt,
      refreshExpiresAt: row.refreshExpiresAt,
    };
  }

  return {
    async create(
      input: { userId: string; provider: string; scopes: string[]; tokens: TokenSet },
      client: DatabaseClient = db,
    ) {
      const id = randomUUID();
      await client.grant.create({
        data: { id, userId: input.userId, provider: input.provider, scopes: input.scopes, ...sealed(id, input.tokens) },
      });
      return id;
    },

    /** The grant with its tokens decrypted, or null. */
    async findTokens(id: string, client: DatabaseClient = db): Promise<GrantTokens | null> {
      const row = await client.grant.findUnique({ where: { id } });
      return row ? fromRow(row) : null;
    },

    fromRow,

    /** Stores a rotated pair if nobody changed the grant since `version` was read; true when stored. */
    async replaceTokens(id: string, version: number, tokens: TokenSet, client: DatabaseClient = db): Promise<boolean> {
      const { count } = await client.grant.updateMany({
        where: { id, version, status: 'active' },
        data: {
          ...sealed(id, tokens),
          version: { increment: 1 },
          lastRefreshedAt: new Date(),
        },
      });
      return count === 1;
    },

    /**
     * Runs `work` holding the grant's row lock (`SELECT ... FOR UPDATE`) in a transaction. Every instance that
     * needs to refresh the grant queues here; the lock lives exactly as long as the holder's transaction, so it
     * cannot expire under a slow token endpoint, and a crashed holder's connection drop releases it at once.
     */
    async withRowLock<T>(id: string, timeoutMs: number, work: (client: DatabaseClient) => Promise<T>): Promise<T> {
      return db.$transaction(
        async (tx) => {
          await tx.$queryRaw`SELECT 1 FROM grants WHERE id = ${id}::uuid FOR UPDATE`;
          return work(tx);
        },
        { timeout: timeoutMs, maxWait: timeoutMs },
      );
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

    async markReauthRequired(id: string, client: DatabaseClient = db) {
      await client.grant.updateMany({
        where: { id, status: 'active' },
        data: { status: 'reauth_required', version: { increment: 1 } },
      });
    },

    /** Deletes the tokens of grants that no vehicle uses any more (after a disconnect or a vehicle moving on). */
    async retireUnused(userId: string, client: DatabaseClient = db) {
      await client.grant.updateMany({
        where: { userId, vehicles: { none: {} }, NOT: { status: 'revoked' } },
        data: { status: 'revoked', accessTokenEnc: null, refreshTokenEnc: null, version: { increment: 1 } },
      });
    },
  };
}

export type GrantRepository = ReturnType<typeof createGrantRepository>;
