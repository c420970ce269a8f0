/**
 * The README's HTTP table against the OpenAPI description: every route the description has is in the table, and
 * every row of the table is a route the description has (besides the description's own pages and routes that exist
 * only with an identity provider configured). The table says what each route is for; the description is the truth
 * about which routes exist.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { startKeyfobUnderTest } from '../helpers/keyfob-under-test.ts';

/** Rows for routes the test's Keyfob does not have: the description's own, and those of an identity provider. */
const NOT_IN_THIS_DESCRIPTION = ['GET /openapi.json', 'GET /docs', 'POST /auth/backchannel-logout'];

interface Row {
  text: string;
  methods: string[];
  pattern: RegExp;
}

function readmeRows(readme: string): Row[] {
  const section = readme.slice(readme.indexOf('## HTTP surface'));
  const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| Method and path')));
  return table
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const text = (line.match(/^\| `([^`]+)`/) as RegExpMatchArray)[1] as string;
      const [methodPart, pathPart] = text.split(' ') as [string, string];
      const path = (pathPart.split('?')[0] as string).replace(/\[.*$/, '');
      const segments = path.split('/').map((segment) => {
        if (segment.startsWith(':')) return '[^/]+';
        if (segment === '<route>') return '.+';
        return segment.includes('\\|') ? `(${segment.split('\\|').join('|')})` : segment.replace(/[.*]/g, '\\$&');
      });
      return {
        text,
        methods: methodPart.split('\\|'),
        pattern: new RegExp(`^${segments.join('/').replace(/\/$/, '') || '/'}$`),
      };
    });
}

test("the README's HTTP table and the OpenAPI description name the same routes", async (t) => {
  const keyfob = await startKeyfobUnderTest(t);
  const doc = (await (await fetch(`${keyfob.url}/openapi.json`)).json()) as { paths: Record<string, object> };
  const rows = readmeRows(await readFile('README.md', 'utf8'));
  assert.ok(rows.length >= 15, `${rows.length} rows read`);
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => ({
      method: method.toUpperCase(),
      path: path.replace(/\/$/, '') || '/',
      sample: (path.replace(/\/$/, '') || '/').replace(/\{[^}]+\}/g, 'x'),
    })),
  );
  const covered = (op: (typeof operations)[number]) =>
    rows.some((row) => row.methods.includes(op.method) && row.pattern.test(op.sample));
  const missing = operations.filter((op) => !covered(op)).map((op) => `${op.method} ${op.path}`);
  assert.deepEqual(missing, [], 'routes the README does not list');
  const stale = rows.filter(
    (row) =>
      !NOT_IN_THIS_DESCRIPTION.some((route) => row.text.startsWith(route)) &&
      !operations.some((op) => row.methods.includes(op.method) && row.pattern.test(op.sample)),
  );
  assert.deepEqual(
    stale.map((row) => row.text),
    [],
    'README rows for routes that do not exist',
  );
});
