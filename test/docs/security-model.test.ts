/**
 * SECURITY.md names, for every defence, the test that proves it (`test/path.test.ts` "start of the test's name").
 * Each reference must point at a test that exists, so the threat model cannot drift away from the suite.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

test('every test SECURITY.md names exists', () => {
  const model = readFileSync('SECURITY.md', 'utf8');
  const references = [...model.matchAll(/`(test\/[\w/.-]+\.test\.ts)` "([^"]+)"/g)].map(([, file, title]) => ({
    file: file as string,
    title: title as string,
  }));
  assert.ok(references.length >= 50, `${references.length} references`);
  const missing = references.filter(({ file, title }) => {
    if (!existsSync(file)) return true;
    const source = readFileSync(file, 'utf8');
    // A test's name opens with a quote or backtick right after `test(`.
    return !["'", '"', '`'].some((quote) => source.includes(`test(${quote}${title}`));
  });
  assert.deepEqual(missing, [], 'SECURITY.md names tests that do not exist');
  const rows = model
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| Defence') && !line.startsWith('| ---'));
  const defenceRows = rows.filter((line) => line.split('|').length === 4);
  for (const row of defenceRows) assert.match(row, /`test\/[\w/.-]+\.test\.ts` "/, `a defence without a test: ${row}`);
});
