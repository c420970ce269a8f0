/** Users: one per provider account, found again when the same account connects a second time. */
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/prisma-client.ts';
import type { DatabaseClient } from './database-client.ts';

export function createUserRepository(db: Database) {
  return {
    async findOrCreate(provider: string, providerUserId: string, client: DatabaseClient = db): Promise<string> {
      const user = await client.user.upsert({
        where: { provider_providerUserId: { provider, providerUserId } },
        create: { id: randomUUID(), provider, providerUserId },
        update: {},
        select: { id: true },
      });
      return user.id;
    },
  };
}
