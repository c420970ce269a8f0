/**
 * The users' data keys (vault/data-keys.ts): each user's is made on first use, when a secret of theirs is first
 * written. Reads never come here: every query that reads a user's secrets joins `user_data_keys` itself, so the
 * wrapped key arrives with the row and costs no extra round trip.
 */
import type { Database } from '../db/prisma-client.ts';
import type { DataKeys, UserSecrets } from '../vault/data-keys.ts';
import type { DatabaseClient } from './database-client.ts';

export function createUserKeyRepository(db: Database, dataKeys: DataKeys, kekId: string) {
  /**
   * The user's secrets for writing (and reading), the data key made now if the user has none yet; null when the
   * user does not exist (erased meanwhile): then nothing may be written for them.
   */
  async function secretsFor(userId: string, client: DatabaseClient = db): Promise<UserSecrets | null> {
    const found = await client.userDataKey.findUnique({ where: { userId }, select: { wrappedKey: true } });
    if (found) return dataKeys.secretsOf(userId, found.wrappedKey);
    // Inserted only while the user exists, and two first writes at once both read the one key that won.
    await client.$executeRaw`
      INSERT INTO user_data_keys (user_id, kek_id, wrapped_key)
      SELECT id, ${kekId}, ${dataKeys.generateWrapped(userId)} FROM users WHERE id = ${userId}::uuid
      ON CONFLICT (user_id) DO NOTHING`;
    const made = await client.userDataKey.findUnique({ where: { userId }, select: { wrappedKey: true } });
    return made ? dataKeys.secretsOf(userId, made.wrappedKey) : null;
  }

  return {
    secretsFor,
    /** As secretsFor, for a write that cannot happen without its user (inside the transaction that made them). */
    async requireSecretsFor(userId: string, client: DatabaseClient = db): Promise<UserSecrets> {
      const secrets = await secretsFor(userId, client);
      if (!secrets) throw new Error(`user ${userId} does not exist`);
      return secrets;
    },
  };
}

export type UserKeyRepository = ReturnType<typeof createUserKeyRepository>;
