// Generates the Prisma client into src/generated/prisma when the schema changed since the last generation.
// Why a script: `prisma generate` tries to download the schema engine unless PRISMA_SCHEMA_ENGINE_BINARY points
// at an existing file, and npm 11 does not run install scripts, so nothing else would generate the client.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const schema = readFileSync('prisma/schema.prisma');
const require = createRequire(import.meta.url);
const prismaVersion = require('prisma/package.json').version;
const fingerprint = createHash('sha256').update(schema).update(prismaVersion).digest('hex');
const stamp = 'src/generated/prisma/.schema-hash';

if (existsSync(stamp) && readFileSync(stamp, 'utf8') === fingerprint) process.exit(0);

execFileSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate'], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  },
});
writeFileSync(stamp, fingerprint);
