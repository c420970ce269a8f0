/**
 * The request a piece of code is running for, carried by AsyncLocalStorage. Services shared by many requests
 * (the token single flight, the repositories) log through the app's logger, not `request.log`; the logger's mixin
 * reads this context so their lines still carry the request id of the request they are working for.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  reqId?: string;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

/** Marks loggers that already bind `reqId` (Fastify's per-request child), so the mixin does not add it twice. */
export const BINDS_REQUEST_ID = Symbol('keyfob.bindsRequestId');

/** pino `mixin`: the current request's id, unless the logger binds one itself. */
export function requestIdMixin(_merge: object, _level: number, logger: object): Record<string, unknown> {
  if ((logger as { [BINDS_REQUEST_ID]?: boolean })[BINDS_REQUEST_ID]) return {};
  const reqId = requestContext.getStore()?.reqId;
  return reqId ? { reqId } : {};
}
