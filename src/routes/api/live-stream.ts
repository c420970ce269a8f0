/**
 * `GET /api/events`: one long-lived stream of the signed-in person's vehicle updates, as server-sent events, and
 * `GET /api/vehicles/:vehicleId/trends`, the stored history the dashboard charts.
 *
 * The stream is an `/api` call like the others: session, `X-CSRF: 1` and scope checked as it opens (the dashboard
 * reads it with `fetch`, which can send the header, not with `EventSource`, which cannot). Webhooks received by any
 * instance reach it through the bus, which names only the user; the stream then reads the new rows from the
 * database, so no vehicle data crosses Redis and every row passes the person's scopes (a location needs
 * `vehicle.read_location`). Each event's id is its last history row: a dashboard reconnecting after a restart sends
 * `Last-Event-ID` and gets what it missed. A `status` event carries the person's vehicles as `/auth/session` shows
 * them whenever a provider reports a change of a car's state (Smartcar VEHICLE_ERROR, a consent ended on a call)
 * or a car is connected again; it has no id, since it is read whole each time. The stream ends, with an `end` event, when its session ends (logout,
 * back-channel logout, idle or absolute timeout), checked on every change of the session and every 15 s; it does
 * not itself keep the session alive.
 */
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../../access/principal.ts';
import { ERROR_CODES, KeyfobError } from '../../errors/keyfob-error.ts';
import { errorResponses } from '../../openapi/error-responses.ts';
import type { StoredSignal } from '../../repositories/vehicle-signals.ts';
import { browserVehicles } from '../auth/session.ts';
import { vehicleInReach, vehicleParams } from './vehicle-reach.ts';

const HEARTBEAT_MS = 15_000;
const REPLAY_BATCH = 500;
const MAX_STREAMS_PER_SESSION = 4;
const LAST_EVENT_ID = /^\d{1,15}$/;
export const TREND_CODES = {
  odometer: 'odometer-traveleddistance',
  battery: 'tractionbattery-stateofcharge',
  fuel: 'internalcombustionengine-fuellevel',
} as const;

interface LiveStream {
  userId: string;
  sessionId: string;
  pull(): void;
  /** Sends the vehicles' status as it is now (a provider reported a change, or a car was connected again). */
  pushStatus(): void;
  checkSession(): void;
  end(reason: string): void;
}

function eventsOf(rows: StoredSignal[]): string {
  const byVehicle = new Map<string, StoredSignal[]>();
  for (const row of rows) byVehicle.set(row.vehicleId, [...(byVehicle.get(row.vehicleId) ?? []), row]);
  let text = '';
  for (const [vehicleId, signals] of byVehicle) {
    const id = Math.max(...signals.map((signal) => signal.id));
    const data = {
      vehicleId,
      signals: signals.map(({ code, value, oemUpdatedAt }) => ({ code, value, oemUpdatedAt })),
    };
    text += `id: ${id}\nevent: signals\ndata: ${JSON.stringify(data)}\n\n`;
  }
  return text;
}

export default async function liveStreamRoutes(app: FastifyInstance) {
  const streams = new Set<LiveStream>();
  app.bus.onMessage((message) => {
    for (const stream of streams) {
      if (message.kind === 'vehicle_signals' && stream.userId === message.id) stream.pull();
      if (message.kind === 'vehicle_status' && stream.userId === message.id) stream.pushStatus();
      if (message.kind === 'session' && stream.sessionId === message.id) stream.checkSession();
    }
  });
  // Before the server stops accepting: an open stream would otherwise hold the shutdown until it times out.
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.end('server_restarting');
  });

  app.get(
    '/events',
    {
      schema: {
        summary: "the person's live stream of vehicle updates (server-sent events); honours `Last-Event-ID`",
        response: {
          200: {
            description:
              "`signals` events `{ vehicleId, signals: [{ code, value, oemUpdatedAt }] }`; `status` events `{ vehicles }` (as in /auth/session) when a provider reports a change of a vehicle's state or a vehicle is connected again; and `end` when the session ends",
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...errorResponses(429),
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (principal.kind !== 'person') {
        throw new KeyfobError(ERROR_CODES.PEOPLE_ONLY, 403, 'the live stream is for signed-in people');
      }
      const { sessionId } = request.session;
      if ([...streams].filter((stream) => stream.sessionId === sessionId).length >= MAX_STREAMS_PER_SESSION) {
        throw new KeyfobError(
          ERROR_CODES.TOO_MANY_STREAMS,
          429,
          `at most ${MAX_STREAMS_PER_SESSION} live streams per session`,
        );
      }
      const mayLocate = principal.scopes.includes('vehicle.read_location');
      const header = request.headers['last-event-id'];
      let cursor =
        typeof header === 'string' && LAST_EVENT_ID.test(header)
          ? Number(header)
          : await app.repos.vehicleSignals.lastId(principal.userId);
      const replay = typeof header === 'string' && LAST_EVENT_ID.test(header);

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'x-accel-buffering': 'no',
      });
      raw.write('retry: 2000\n\n');

      let pulling = false;
      let again = false;
      let ended = false;
      let statusRead: Promise<void> | undefined;
      let statusAgain = false;
      const stream: LiveStream = {
        userId: principal.userId,
        sessionId,
        pull() {
          if (ended) return;
          if (pulling) {
            again = true;
            return;
          }
          pulling = true;
          void (async () => {
            do {
              again = false;
              const rows = await app.repos.vehicleSignals.since(principal.userId, cursor, REPLAY_BATCH);
              if (rows.length === 0) break;
              cursor = rows[rows.length - 1]?.id ?? cursor;
              const allowed = rows.filter((row) => mayLocate || !row.code.startsWith('location-'));
              if (!ended && allowed.length > 0) raw.write(eventsOf(allowed));
              if (rows.length === REPLAY_BATCH) again = true;
            } while (again && !ended);
          })()
            .catch((error: Error) => request.log.warn({ err: error.message }, 'live stream could not read new signals'))
            .finally(() => {
              pulling = false;
            });
        },
        pushStatus() {
          if (ended) return;
          if (statusRead) {
            statusAgain = true;
            return;
          }
          statusRead = (async () => {
            do {
              statusAgain = false;
              const vehicles = await browserVehicles(app, { userId: principal.userId }, principal.scopes);
              // No `id:` line: a status is read whole each time, so it must not move the replay cursor.
              if (!ended) raw.write(`event: status\ndata: ${JSON.stringify({ vehicles })}\n\n`);
            } while (statusAgain && !ended);
          })()
            .catch((error: Error) => request.log.warn({ err: error.message }, 'live stream could not read the status'))
            .finally(() => {
              statusRead = undefined;
            });
        },
        checkSession() {
          void app.sessions
            .endsAt(sessionId)
            .then((endsAt) => {
              if (endsAt === null || endsAt <= Date.now()) stream.end('session_ended');
            })
            .catch(() => undefined);
        },
        end(reason: string) {
          if (ended) return;
          ended = true;
          raw.write(`event: end\ndata: ${JSON.stringify({ reason })}\n\n`);
          raw.end();
        },
      };
      streams.add(stream);
      app.metrics.liveStreams.inc();
      const heartbeat = setInterval(() => {
        if (!ended) raw.write(': keep-alive\n\n');
        stream.checkSession();
      }, HEARTBEAT_MS);
      heartbeat.unref();
      raw.on('close', () => {
        ended = true;
        clearInterval(heartbeat);
        streams.delete(stream);
        app.metrics.liveStreams.dec();
      });
      if (replay) stream.pull();
    },
  );

  const series = {
    type: 'array',
    items: {
      type: 'object',
      required: ['at', 'value'],
      properties: { at: { type: 'string' }, value: { type: ['number', 'null'] } },
    },
  } as const;
  const trendsSchema = {
    summary: 'the stored readings the dashboard charts (from webhooks), oldest first',
    params: vehicleParams,
    response: {
      200: {
        type: 'object',
        required: ['odometer', 'battery', 'fuel'],
        properties: { odometer: series, battery: series, fuel: series },
      },
    },
  };
  app.get('/vehicles/:vehicleId/trends', { schema: trendsSchema }, async (request) => {
    const { vehicle } = await vehicleInReach(app, request);
    const rows = await app.repos.vehicleSignals.trend(vehicle.id, Object.values(TREND_CODES), 600);
    const series = (code: string) =>
      rows.filter((row) => row.code === code).map((row) => ({ at: row.oemUpdatedAt, value: row.value.value }));
    return {
      odometer: series(TREND_CODES.odometer),
      battery: series(TREND_CODES.battery),
      fuel: series(TREND_CODES.fuel),
    };
  });
}
