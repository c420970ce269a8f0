/**
 * Sign-ins at the identity provider: which Keyfob session each opened, and its tokens (sealed under the user's data
 * key).
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/prisma-client.ts';
import type { DataKeys } from '../vault/data-keys.ts';
import type { UserKeyRepository } from './user-keys.ts';

const slot = (rowId: string, column: string) => ({ table: 'oidc_sessions', column, rowId });

export function createOidcSessionRepository(db: Database, dataKeys: DataKeys, userKeys: UserKeyRepository) {
  return {
    async create(input: {
      userId: string;
      issuer: string;
      subject: string;
      sid: string | undefined;
      sessionId: string;
      idToken: string;
      accessToken: string;
      refreshToken: string | undefined;
    }): Promise<string> {
      const id = randomUUID();
      const secrets = await userKeys.requireSecretsFor(input.userId);
      await db.oidcSession.create({
        data: {
          id,
          userId: input.userId,
          issuer: input.issuer,
          subject: input.subject,
          sid: input.sid ?? null,
          sessionId: input.sessionId,
          idTokenEnc: secrets.encrypt(input.idToken, slot(id, 'id_token_enc')),
          accessTokenEnc: secrets.encrypt(input.accessToken, slot(id, 'access_token_enc')),
          refreshTokenEnc: input.refreshToken
            ? secrets.encrypt(input.refreshToken, slot(id, 'refresh_token_enc'))
            : null,
        },
      });
      return id;
    },

    /** Removes the sign-in and returns its ID token (for `id_token_hint`), if it exists. */
    async end(id: string): Promise<string | undefined> {
      const row = await db.oidcSession.findUnique({
        where: { id },
        select: { idTokenEnc: true, userId: true, user: { select: { dataKey: { select: { wrappedKey: true } } } } },
      });
      await db.oidcSession.deleteMany({ where: { id } });
      if (!row) return undefined;
      const secrets = dataKeys.secretsOf(row.userId, row.user.dataKey?.wrappedKey ?? null);
      return secrets.decrypt(row.idTokenEnc, slot(id, 'id_token_enc'));
    },

    /** The sign-ins of this provider session (`sid`), or of this subject when no `sid` is given. */
    async findAt(issuer: string, target: { sid: string | undefined; sub: string | undefined }) {
      const where = target.sid
        ? { issuer, sid: target.sid, ...(target.sub ? { subject: target.sub } : {}) }
        : { issuer, subject: target.sub as string };
      return db.oidcSession.findMany({ where, select: { id: true, sessionId: true } });
    },

    async remove(ids: string[]) {
      await db.oidcSession.deleteMany({ where: { id: { in: ids } } });
    },
  };
}

export type OidcSessionRepository = ReturnType<typeof createOidcSessionRepository>;
