/**
 * The proxy's route table for High Mobility: the dashboard's data routes, each one read of the vehicle's Auto API
 * data by VIN, mapped into Keyfob's shapes (answer-mapping.ts). High Mobility's data API has no commands, so lock,
 * unlock and charge start/stop are absent: Keyfob answers them 404 `not_supported_by_provider` without a call.
 * The scope of each route is the High Mobility permission (`capability.get.property`) the consent must hold.
 */
import type { ProxyRoute } from '../provider-adapter.ts';
import { MAPPINGS, mapAnswer, measuredAt } from './answer-mapping.ts';

const dataOf = (vin: string) => `/v1/vehicle-data/autoapi-13/${encodeURIComponent(vin)}`;

function read(path: string): ProxyRoute {
  const mapping = MAPPINGS[path];
  if (!mapping) throw new Error(`no High Mobility mapping for ${path}`);
  return {
    method: 'GET',
    path,
    upstreamPath: dataOf,
    scope: `${mapping.capability}.get.${mapping.property}`,
    transform: (answer) => mapAnswer(answer, mapping),
    dataAge: (answer) => measuredAt(answer, mapping),
  };
}

export const HIGHMOBILITY_ROUTES: readonly ProxyRoute[] = Object.keys(MAPPINGS).map(read);

/** Every permission the routes need: what a fleet clearance grants (the app's data permissions in the console). */
export const HIGHMOBILITY_ROUTE_SCOPES = HIGHMOBILITY_ROUTES.flatMap((route) => (route.scope ? [route.scope] : []));
