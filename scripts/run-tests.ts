// `npm test`: runs every test file with Node's test runner. With DATABASE_URL and REDIS_URL set, the suite runs
// against that Postgres and Redis (each test file gets a database of its own); without them, against embedded
// PGlite and in-memory sessions, and the tests that need Redis say that they are skipped and why.
// Every answer the suite's scripted browsers see is logged (KEYFOB_ANSWER_LOG); the OpenAPI contract test runs
// after the rest and checks them all against the description.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function testFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return testFiles(path);
      return name.endsWith('.test.ts') ? [path] : [];
    });
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : testFiles('test');
const mode = [
  process.env.DATABASE_URL ? 'Postgres from DATABASE_URL' : 'embedded PGlite (DATABASE_URL is not set)',
  process.env.REDIS_URL ? 'Redis from REDIS_URL' : 'in-memory sessions (REDIS_URL is not set: Redis tests are skipped)',
].join('; ');
console.log(`keyfob tests: ${files.length} files against ${mode}`);

const CONTRACT = join('test', 'openapi', 'contract.test.ts');
const answers = mkdtempSync(join(tmpdir(), 'keyfob-answers-'));
const env = { ...process.env, NODE_ENV: 'test', KEYFOB_ANSWER_LOG: join(answers, 'answers.jsonl') };
const run = (batch: string[]) =>
  batch.length === 0
    ? 0
    : (spawnSync(
        process.execPath,
        ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...batch],
        { stdio: 'inherit', env },
      ).status ?? 1);
const suite = run(files.filter((file) => file !== CONTRACT));
const contract = run(files.filter((file) => file === CONTRACT));
rmSync(answers, { recursive: true, force: true });
process.exit(suite !== 0 ? suite : contract);
