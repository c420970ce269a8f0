// Builds the browser client (src/dashboard/client/keyfob-client.ts) into src/dashboard/public/keyfob-client.js and
// its .d.ts, where Keyfob serves them, when the source changed since the last build. Run before start, test and
// build (package.json), so a fresh clone serves it after `npm install && npm start`.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';

const source = 'src/dashboard/client/keyfob-client.ts';
const built = 'src/dashboard/public/keyfob-client.js';
if (existsSync(built) && statSync(built).mtimeMs >= statSync(source).mtimeMs) process.exit(0);
const require = createRequire(import.meta.url);
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.client.json'], {
  stdio: 'inherit',
});
