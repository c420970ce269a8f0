/** A Prisma client or an interactive transaction's client: repository methods accept either. */
import type { Database } from '../db/prisma-client.ts';

export type DatabaseClient = Omit<Database, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;
