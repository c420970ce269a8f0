/**
 * Checks real answers against Keyfob's OpenAPI description: the answer's route (method and path) must be described,
 * its status declared for that route, and a JSON body must validate against the declared schema. An answer to a
 * path no route has (the not-found handler) is counted apart, not checked.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { SeenAnswer } from './browser.ts';

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: object }> }>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, object> };
}

export interface ContractReport {
  checked: number;
  unrouted: number;
  violations: string[];
  /** Operations ("GET /api/...") that at least one answer exercised. */
  exercised: Set<string>;
}

export function contractChecker(doc: OpenApiDocument) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      key: `${method.toUpperCase()} ${path}`,
      method: method.toUpperCase(),
      // `{vehicleId}` matches one segment; a trailing slash is the same route.
      pattern: new RegExp(`^${path.replace(/\/$/, '').replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
      literal: !path.includes('{'),
      operation,
    })),
  );
  const compiled = new Map<object, ValidateFunction>();
  const validatorFor = (schema: object): ValidateFunction => {
    const known = compiled.get(schema);
    if (known) return known;
    // The document's components travel with each schema, so `#/components/schemas/...` resolves.
    const validate = ajv.compile({ ...schema, components: doc.components ?? {} });
    compiled.set(schema, validate);
    return validate;
  };

  return function check(answers: Iterable<Pick<SeenAnswer, 'method' | 'url' | 'status' | 'headers' | 'body'>>) {
    const report: ContractReport = { checked: 0, unrouted: 0, violations: [], exercised: new Set() };
    for (const answer of answers) {
      const { pathname } = new URL(answer.url);
      const candidates = operations.filter((op) => op.method === answer.method && op.pattern.test(pathname));
      // A literal path wins over a parameter (`/api/account/export` over nothing; `/api/vehicles/` over `{vehicleId}`).
      const match = candidates.find((op) => op.literal) ?? candidates[0];
      if (!match) {
        report.unrouted++;
        continue;
      }
      report.checked++;
      report.exercised.add(match.key);
      const where = `${answer.method} ${pathname} → ${answer.status}`;
      const declared = match.operation.responses?.[String(answer.status)] ?? match.operation.responses?.default;
      if (!declared) {
        report.violations.push(`${where}: status not declared for ${match.key}`);
        continue;
      }
      const type = (answer.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
      if (type !== 'application/json' || answer.body === '') continue;
      const schema = declared.content?.['application/json']?.schema;
      if (!schema) {
        report.violations.push(`${where}: a JSON body where ${match.key} declares none`);
        continue;
      }
      const validate = validatorFor(schema);
      if (!validate(JSON.parse(answer.body))) {
        report.violations.push(`${where}: ${ajv.errorsText(validate.errors)} in ${answer.body.slice(0, 200)}`);
      }
    }
    return report;
  };
}
