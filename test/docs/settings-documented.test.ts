import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { EnvSchema } from '../../src/config/env-schema.ts';

test('every setting is in the README table and in .env.example', async () => {
  const readme = await readFile('README.md', 'utf8');
  const example = await readFile('.env.example', 'utf8');
  for (const name of Object.keys(EnvSchema.properties)) {
    assert.match(readme, new RegExp(`\\| \`${name}\` +\\|`), `README.md lacks ${name}`);
    assert.match(example, new RegExp(`^${name}=`, 'm'), `.env.example lacks ${name}`);
  }
});
