/**
 * The sandbox's test-control API under `/sandbox`: call counters, fault injection, the clock, and settings.
 * Tests in other processes (several Keyfob instances) drive the sandbox through it over HTTP.
 */
import type { FastifyInstance } from 'fastify';
import { FAULT_TARGETS } from '../registry.ts';
import type { Fault, FaultTarget } from '../state/faults.ts';
import type { SandboxState } from '../state/sandbox-state.ts';
import { patchSettings } from './settings-patch.ts';

export function controlRoutes(app: FastifyInstance, state: SandboxState) {
  app.get('/sandbox/calls', async () => state.calls.snapshot());

  app.get('/sandbox/last-request', async (_request, reply) =>
    state.lastApiRequest ? state.lastApiRequest : reply.code(404).send({ error: 'no_request_yet' }),
  );

  app.post('/sandbox/faults', async (request, reply) => {
    const body = (request.body ?? {}) as {
      target?: string;
      kind?: string;
      count?: number;
      delayMs?: number;
      status?: number;
      retryAfterSeconds?: number;
    };
    const target = body.target as FaultTarget;
    const count = body.count ?? 1;
    if (!FAULT_TARGETS.includes(target) || !Number.isInteger(count) || count < 1) {
      return reply.code(400).send({
        error: 'invalid_fault',
        message: `target is one of ${FAULT_TARGETS.join(', ')}; count a positive integer`,
      });
    }
    let fault: Fault;
    if (
      (body.kind === 'slow' || body.kind === 'slow_answer') &&
      Number.isInteger(body.delayMs) &&
      (body.delayMs as number) > 0
    ) {
      fault = { kind: body.kind, delayMs: body.delayMs as number };
    } else if (body.kind === 'error') {
      fault = {
        kind: 'error',
        status: body.status ?? 500,
        ...(Number.isInteger(body.retryAfterSeconds) ? { retryAfterSeconds: body.retryAfterSeconds as number } : {}),
      };
    } else if (body.kind === 'drop') {
      fault = { kind: 'drop' };
    } else {
      return reply.code(400).send({
        error: 'invalid_fault',
        message:
          'kind is slow or slow_answer (with delayMs), error (with status, and retryAfterSeconds for 429) or drop',
      });
    }
    state.faults.add(target, fault, count);
    return { pending: state.faults.pending() };
  });

  app.post('/sandbox/clock', async (request, reply) => {
    const seconds = (request.body as { advanceSeconds?: unknown } | null)?.advanceSeconds;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
      return reply.code(400).send({ error: 'invalid_clock', message: 'advanceSeconds must be a non-negative number' });
    }
    state.clock.advance(seconds);
    return { now: new Date(state.clock.now()).toISOString() };
  });

  app.get('/sandbox/settings', async () => state.settings);

  app.patch('/sandbox/settings', async (request, reply) => {
    const patched = patchSettings(state.settings, (request.body ?? {}) as Record<string, unknown>, {
      pkce: ['required', 'optional'],
      webhookVerify: ['unsigned', 'signed'],
    });
    if ('invalid' in patched) return reply.code(400).send({ error: 'invalid_setting', message: patched.invalid });
    state.settings = patched.settings;
    return state.settings;
  });

  app.post('/sandbox/accounts', async (request, reply) => {
    const { count } = (request.body ?? {}) as { count?: unknown };
    if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > 1000) {
      return reply.code(400).send({ error: 'invalid_accounts', message: 'count must be an integer from 1 to 1000' });
    }
    return { accounts: state.addTestAccounts(count as number).map((account) => ({ id: account.id })) };
  });

  app.post('/sandbox/grants/seed', async (request, reply) => {
    const { count, accountId } = (request.body ?? {}) as { count?: unknown; accountId?: unknown };
    const client = state.clients[0];
    if (!client || !Number.isInteger(count) || (count as number) < 1 || (count as number) > 200_000) {
      return reply.code(400).send({ error: 'invalid_seed', message: 'count must be an integer from 1 to 200000' });
    }
    const account = typeof accountId === 'string' ? accountId : 'seeded-account';
    return { grants: state.tokens.seedGrants(client.clientId, account, count as number) };
  });

  app.get('/sandbox/grants/refresh-summary', async () => state.tokens.refreshSummary());

  app.post('/sandbox/reset', async () => {
    state.resetControls();
    return { reset: true };
  });
}
