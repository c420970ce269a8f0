/**
 * Users and their sign-in identities. A user is Keyfob's own id; an identity (a provider account today, an OpenID
 * Connect subject later) finds it again. Signing in with a new identity while signed in links it to that user.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/prisma-client.ts';
import type { DatabaseClient } from './database-client.ts';

export interface IdentityKey {
  kind: 'provider' | 'oidc';
  /** The provider's name for a provider account; the issuer URL for OpenID Connect. */
  issuer: string;
  subject: string;
}

export function createUserRepository(db: Database) {
  return {
    /**
     * The user this identity belongs to. An unknown identity joins `signedInUserId` when there is one (connecting a
     * car while signed in), or makes a new user. An identity already linked to another user stays with that user:
     * an account is never moved between people by a sign-in.
     */
    async findOrCreateByIdentity(
      identity: IdentityKey,
      signedInUserId: string | undefined,
      client: DatabaseClient = db,
    ): Promise<string> {
      const where = { kind_issuer_subject: identity };
      const existing = await client.identity.findUnique({ where, select: { userId: true } });
      if (existing) return existing.userId;
      const known = signedInUserId
        ? await client.user.findUnique({ where: { id: signedInUserId }, select: { id: true } })
        : null;
      const userId = known?.id ?? (await client.user.create({ data: { id: randomUUID() }, select: { id: true } })).id;
      // Two first sign-ins of one account at once: the second finds the first's identity (upsert, not create).
      const linked = await client.identity.upsert({
        where,
        create: { id: randomUUID(), userId, ...identity },
        update: {},
        select: { userId: true },
      });
      return linked.userId;
    },

    async exists(userId: string, client: DatabaseClient = db): Promise<boolean> {
      return (await client.user.findUnique({ where: { id: userId }, select: { id: true } })) !== null;
    },
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;
