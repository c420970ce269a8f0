/**
 * What an area's own hooks can answer on any of its routes (the origin check, the session, the CSRF header, rate
 * limits, the dependencies), added to each route's schema as it is registered: the route declares its own answers,
 * the area those it shares, so every status a route can send is in the OpenAPI description. A route's own
 * declaration of a status wins.
 */
import type { RouteOptions } from 'fastify';
import { errorResponses } from './error-responses.ts';

export interface AreaDescription {
  tag: string;
  errors: readonly number[];
  /** OpenAPI security requirements (alternatives) of the area's routes. */
  security?: Array<Record<string, string[]>>;
}

export function declareArea(route: RouteOptions, area: AreaDescription): void {
  const schema = (route.schema ?? {}) as Record<string, unknown> & { response?: Record<string, unknown> };
  route.schema = {
    ...schema,
    tags: (schema.tags as string[] | undefined) ?? [area.tag],
    ...(area.security && !schema.security ? { security: area.security } : {}),
    response: { ...errorResponses(...area.errors), ...(schema.response ?? {}) },
  };
}
