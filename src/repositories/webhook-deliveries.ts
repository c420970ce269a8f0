/**
 * Webhook deliveries: stored before the webhook is answered (the raw body sealed in the vault, bound to its row),
 * claimed for processing by one instance at a time (a claim lasts CLAIM_MS; a crash leaves the delivery to be
 * claimed again after it), marked processed with their outcome in the transaction that applied them, and deleted
 * a week after.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/prisma-client.ts';
import type { TokenVault } from '../vault/token-vault.ts';
import type { DatabaseClient } from './database-client.ts';

const CLAIM_MS = 30_000;
const slot = (rowId: string) => ({ table: 'webhook_deliveries', column: 'body_enc', rowId });

export interface ClaimedDelivery {
  id: string;
  provider: string;
  eventId: string;
  body: string;
  receivedAt: Date;
}

export function createWebhookDeliveryRepository(db: Database, vault: TokenVault) {
  return {
    /** Stores a delivery; `duplicate` when this provider's event id is already stored (a retry, or a replay). */
    async store(input: { provider: string; eventId: string; eventType: string; body: Buffer }) {
      const id = randomUUID();
      const { count } = await db.webhookDelivery.createMany({
        data: [
          {
            id,
            provider: input.provider,
            eventId: input.eventId,
            eventType: input.eventType,
            bodyEnc: vault.encrypt(input.body.toString('utf8'), slot(id)),
          },
        ],
        skipDuplicates: true,
      });
      return count === 1 ? 'stored' : 'duplicate';
    },

    /** Up to `limit` unprocessed deliveries, oldest first, claimed by this caller for CLAIM_MS. */
    async claim(limit: number): Promise<ClaimedDelivery[]> {
      const rows = await db.$queryRaw<
        Array<{ id: string; provider: string; event_id: string; body_enc: string; received_at: Date }>
      >`
        UPDATE webhook_deliveries SET claimed_until = now() + ${CLAIM_MS} * interval '1 millisecond'
        WHERE id IN (
          SELECT id FROM webhook_deliveries
          WHERE processed_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
          ORDER BY received_at LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
        RETURNING id::text AS id, provider, event_id, body_enc, received_at`;
      return rows
        .map((row) => ({
          id: row.id,
          provider: row.provider,
          eventId: row.event_id,
          body: vault.decrypt(row.body_enc, slot(row.id)),
          receivedAt: row.received_at,
        }))
        .sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime());
    },

    /**
     * Marks a delivery processed and drops its body: what it said now lives, sealed under the owner's data key, in
     * the signal tables (or was about nobody Keyfob knows). A raw body is sealed under the key ring only, since no
     * user is known when it arrives; kept, it would outlive its owner's erasure.
     */
    async finish(id: string, outcome: string, client: DatabaseClient = db) {
      await client.webhookDelivery.update({ where: { id }, data: { processedAt: new Date(), outcome, bodyEnc: '' } });
    },

    /**
     * Deletes deliveries processed more than `keepMs` ago. Their event ids only matter while Smartcar may still
     * retry (minutes); a week covers a replay of anything an operator might want to look at.
     */
    async prune(keepMs: number): Promise<number> {
      const { count } = await db.webhookDelivery.deleteMany({
        where: { processedAt: { lt: new Date(Date.now() - keepMs) } },
      });
      return count;
    },

    async pending(): Promise<number> {
      return db.webhookDelivery.count({ where: { processedAt: null } });
    },
  };
}

export type WebhookDeliveryRepository = ReturnType<typeof createWebhookDeliveryRepository>;
