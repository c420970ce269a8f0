import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { loggerOptions, prettyStream } from '../../src/logging/logger-options.ts';
import { maskVin, redactUrl } from '../../src/logging/mask.ts';

function capture(pretty = false) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino(loggerOptions('info'), pretty ? prettyStream(stream) : stream), text: () => lines.join('') };
}

test('a VIN is masked to its last four characters', () => {
  assert.equal(maskVin('5YJ3E1EA7NF123456'), '*************3456');
  assert.equal(maskVin(undefined), null);
});

test('codes, states and tokens in URLs are redacted, other parameters kept', () => {
  assert.equal(
    redactUrl('/auth/callback?code=abc&state=xyz&lang=en'),
    '/auth/callback?code=[redacted]&state=[redacted]&lang=en',
  );
  assert.equal(redactUrl('/healthz'), '/healthz');
});

function secretsNeverLogged(pretty: boolean) {
  const { logger, text } = capture(pretty);
  logger.info(
    {
      access_token: 'AT-1',
      nested: {
        refreshToken: 'RT-1',
        client_secret: 'CS-1',
        code_verifier: 'CV-1',
        code: 'CODE-1',
        deeper: [{ idToken: 'IT-1' }],
      },
      headers: { authorization: 'Bearer AT-2', cookie: 'keyfob=SID', 'set-cookie': 'keyfob=SID2' },
      vin: '5YJ3E1EA7NF123456',
      vehicle: { vin: 'WBA5R1C05LFH98765' },
      apiKey: 'KEY-1',
      password: 'PW-1',
      kept: 'visible',
    },
    'hello',
  );
  const output = text();
  for (const secret of [
    'AT-1',
    'RT-1',
    'CS-1',
    'CV-1',
    'CODE-1',
    'IT-1',
    'AT-2',
    'SID',
    'SID2',
    'KEY-1',
    'PW-1',
    '5YJ3E1EA7NF123456',
    'WBA5R1C05LFH98765',
  ]) {
    assert.ok(!output.includes(secret), `${secret} leaked: ${output}`);
  }
  assert.ok(output.includes('*************3456'));
  assert.ok(output.includes('visible'));
  if (pretty) assert.ok(!output.trimStart().startsWith('{') && output.includes('INFO'), `readable: ${output}`);
}

test('fields named like secrets never reach the log, at any depth', () => secretsNeverLogged(false));

test('fields named like secrets never reach the log, at any depth, in readable (pino-pretty) lines too', () =>
  secretsNeverLogged(true));
