/**
 * The simulators' settings controls (`PATCH /sandbox/settings`, `PATCH /sandbox/highmobility/settings`): a known
 * setting takes a non-negative integer or one of its words; anything else is 400, naming it, and changes nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSandbox } from '../../src/sandbox/start-sandbox.ts';

test('settings controls: known names and values change, anything else is 400 and changes nothing', async (t) => {
  const sandbox = await startSandbox({
    port: 0,
    clients: [],
    simulators: { highmobility: { clients: [] } },
    logLevel: 'silent',
  });
  t.after(() => sandbox.close());
  const patch = async (path: string, body: unknown) => {
    const response = await fetch(`${sandbox.url}${path}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  for (const [path, good, word, badWord] of [
    ['/sandbox/settings', { rateLimitPerMinute: 5 }, { pkce: 'optional' }, { pkce: 'sometimes' }],
    ['/sandbox/highmobility/settings', { clearanceSeconds: 1 }, { refreshReuse: 'grace' }, { refreshReuse: 'lenient' }],
  ] as const) {
    const changed = await patch(path, { ...good, ...word });
    assert.equal(changed.status, 200, path);
    assert.deepEqual({ ...changed.json, ...good, ...word }, changed.json, path);
    for (const bad of [badWord, { unknownSetting: 1 }, { ...good, [Object.keys(good)[0] as string]: -1 }]) {
      const refused = await patch(path, bad);
      assert.equal(refused.status, 400, `${path} ${JSON.stringify(bad)}`);
      assert.equal(refused.json.error, 'invalid_setting');
      assert.match(String(refused.json.message), new RegExp(Object.keys(bad)[0] as string));
    }
    const after = await (await fetch(`${sandbox.url}${path}`)).json();
    assert.deepEqual(after, changed.json, `${path}: a refused patch changed nothing`);
  }
});
