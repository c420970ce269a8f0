/**
 * A session store on Redis. A session seen before is written with `SET ... XX` (only if it still exists), so a
 * request that loaded a session before a logout cannot re-create it by saving after; a new session is written
 * with `NX`. Each key expires with the session's idle timeout.
 */
import type { SessionStore } from '@fastify/session';
import type { Session } from 'fastify';
import type { Redis } from 'ioredis';
import { ERROR_CODES, KeyfobError } from '../errors/keyfob-error.ts';
import { markStored, serialise, ttlMs, wasStoredBefore } from './stored-session.ts';

const PREFIX = 'keyfob:session:';

/**
 * Sessions fail closed: when Redis cannot be read, the request is answered 503, never treated as signed out
 * (which would start a new session) nor as signed in.
 */
function unavailable(cause: Error): KeyfobError {
  return new KeyfobError(
    ERROR_CODES.SESSION_STORE_UNAVAILABLE,
    503,
    'the session store is unavailable; try again shortly',
    {
      cause,
      expose: true,
      details: { retryAfterSeconds: 5 },
    },
  );
}

export function createRedisSessionStore(redis: Redis, idleTimeoutMs: number): SessionStore {
  return {
    set(sessionId, session, callback) {
      const key = PREFIX + sessionId;
      const value = serialise(session);
      const ttl = ttlMs(session, idleTimeoutMs);
      const write = wasStoredBefore(session)
        ? redis.set(key, value, 'PX', ttl, 'XX')
        : redis.set(key, value, 'PX', ttl, 'NX');
      write
        .then((result) => {
          // null: NX found the id taken, or XX found the session gone (destroyed): nothing was written.
          if (result === 'OK') markStored(session);
          callback();
        })
        .catch((error: Error) => callback(unavailable(error)));
    },
    get(sessionId, callback) {
      redis
        .get(PREFIX + sessionId)
        .then((value) => callback(null, value ? (JSON.parse(value) as Session) : null))
        .catch((error: Error) => callback(unavailable(error)));
    },
    destroy(sessionId, callback) {
      redis
        .del(PREFIX + sessionId)
        .then(() => callback())
        .catch((error: Error) => callback(unavailable(error)));
    },
  };
}
