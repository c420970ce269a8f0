/**
 * `POST /webhooks/smartcar`: Smartcar's signed events in. The raw body (64 KiB at most, never parsed by Fastify) is
 * checked before anything else: with an `SC-Signature`, it must be the HMAC of these bytes under
 * SMARTCAR_WEBHOOK_AMT (401 otherwise, nothing parsed or stored). Without one, the body is read only to see whether
 * it is a verification challenge in the strict format (webhooks/smartcar/challenge.ts), which is answered;
 * anything else is 401. A signed event is stored (sealed) before the answer, deduplicated by its `eventId`, and
 * processed after it (webhooks/process-deliveries.ts), so Smartcar hears 200 in milliseconds, well inside its 15 s.
 * Smartcar sends no timestamp or nonce: a replayed delivery is caught only by its `eventId` (SECURITY.md).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ERROR_CODES, KeyfobError } from '../../errors/keyfob-error.ts';
import { errorResponses } from '../../openapi/error-responses.ts';
import { answerableChallenge, challengeOf } from '../../webhooks/smartcar/challenge.ts';
import { readEvent } from '../../webhooks/smartcar/events.ts';
import { SIGNATURE_HEADER, smartcarHmac, validSignature } from '../../webhooks/smartcar/signature.ts';

export const WEBHOOK_BODY_LIMIT = 64 * 1024;

function parsedJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

export default async function webhookRoutes(app: FastifyInstance) {
  const amt = app.providers.has('smartcar') ? app.config.smartcar.webhookAmt : undefined;
  // The body stays bytes: the signature is over exactly what was sent.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, body, done) =>
    done(null, body),
  );
  const counted = (outcome: string) => app.metrics.webhookDeliveries.inc({ provider: 'smartcar', outcome });
  const refuse = (
    outcome: string,
    status: number,
    code: (typeof ERROR_CODES)[keyof typeof ERROR_CODES],
    message: string,
  ) => {
    counted(outcome);
    return new KeyfobError(code, status, message);
  };
  const answerChallenge = (reply: FastifyReply, challenge: string, key: string) => {
    counted('challenge_answered');
    return reply
      .code(200)
      .type('application/json')
      .send({ challenge: smartcarHmac(key, challenge) });
  };

  app.post(
    '/smartcar',
    {
      schema: {
        tags: ['webhooks'],
        summary: "Smartcar's signed webhook deliveries and its verification challenge",
        description:
          'The body is read as bytes and checked against `SC-Signature` (HMAC-SHA256 under SMARTCAR_WEBHOOK_AMT) ' +
          'before anything else; a valid event is stored, answered, then processed.',
        response: {
          200: {
            description: 'stored (or a duplicate of a stored event), or the answer to a verification challenge',
            oneOf: [
              {
                type: 'object',
                required: ['received', 'duplicate'],
                properties: { received: { type: 'boolean' }, duplicate: { type: 'boolean' } },
                additionalProperties: false,
              },
              {
                type: 'object',
                required: ['challenge'],
                properties: { challenge: { type: 'string' } },
                additionalProperties: false,
              },
            ],
          },
          ...errorResponses(400, 401, 404, 413, 429, 500, 503),
        },
      },
    },
    async (request, reply) => {
      if (!amt) {
        throw refuse(
          'disabled',
          404,
          ERROR_CODES.WEBHOOKS_DISABLED,
          'Smartcar webhooks are off (SMARTCAR_WEBHOOK_AMT)',
        );
      }
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const signature = request.headers[SIGNATURE_HEADER];
      if (signature === undefined) {
        const challenge = challengeOf(parsedJson(raw));
        if (challenge && answerableChallenge(challenge.challenge))
          return answerChallenge(reply, challenge.challenge, amt);
        throw refuse('bad_signature', 401, ERROR_CODES.BAD_SIGNATURE, 'the webhook signature is missing or wrong');
      }
      if (!validSignature(amt, raw, signature)) {
        throw refuse('bad_signature', 401, ERROR_CODES.BAD_SIGNATURE, 'the webhook signature is missing or wrong');
      }
      const body = parsedJson(raw);
      const challenge = challengeOf(body);
      if (challenge) {
        if (answerableChallenge(challenge.challenge)) return answerChallenge(reply, challenge.challenge, amt);
        throw refuse('challenge_refused', 400, ERROR_CODES.BAD_REQUEST, 'the challenge is not in the accepted format');
      }
      const event = readEvent(body, new Date());
      if ('invalid' in event)
        throw refuse('malformed', 400, ERROR_CODES.BAD_REQUEST, `not a webhook event: ${event.invalid}`);
      const stored = await app.repos.webhookDeliveries.store({
        provider: 'smartcar',
        eventId: event.eventId,
        eventType: event.eventType,
        body: raw,
      });
      counted(stored);
      // After the answer: processing never delays it.
      reply.raw.once('finish', () => void app.webhookProcessor.kick());
      return { received: true, duplicate: stored === 'duplicate' };
    },
  );
}
