// Prisma CLI configuration. Keyfob applies migrations itself (src/db/migrations), so the CLI is needed only
// for `prisma generate`, which scripts/generate-prisma.mjs runs offline.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
