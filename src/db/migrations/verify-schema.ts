/**
 * Proves the migrated database matches prisma/schema.prisma: every table, column (type, size, nullability),
 * enum and index the schema declares exists as declared, and no table of ours has a column the schema lacks.
 * Runs at every start, so a migration that drifted from the schema stops Keyfob before it serves a request.
 */
import pg from 'pg';
import { type ExpectedSchema, readExpectedSchema } from './expected-schema.ts';

export class SchemaDriftError extends Error {
  override name = 'SchemaDriftError';
  constructor(readonly differences: string[]) {
    super(`the database does not match prisma/schema.prisma:\n  ${differences.join('\n  ')}`);
  }
}

interface LiveColumn {
  table_name: string;
  column_name: string;
  udt_name: string;
  is_nullable: 'YES' | 'NO';
  character_maximum_length: number | null;
  datetime_precision: number | null;
}

const LIVE_INDEXES = `
SELECT t.relname AS table_name, ix.indisprimary AS is_primary, ix.indisunique AS is_unique,
       array_agg(a.attname::text ORDER BY k.ord) AS columns
FROM pg_index ix
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
WHERE n.nspname = current_schema()
GROUP BY t.relname, ix.indexrelid, ix.indisprimary, ix.indisunique`;

const LIVE_ENUMS = `
SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = current_schema() GROUP BY t.typname`;

function compare(
  expected: ExpectedSchema,
  columns: LiveColumn[],
  indexes: Array<{ table_name: string; is_primary: boolean; is_unique: boolean; columns: string[] }>,
  enums: Array<{ name: string; labels: string[] }>,
): string[] {
  const differences: string[] = [];
  for (const [table, expectedColumns] of expected.tables) {
    const live = columns.filter((column) => column.table_name === table);
    if (live.length === 0) {
      differences.push(`table "${table}" is missing`);
      continue;
    }
    for (const column of expectedColumns) {
      const found = live.find((item) => item.column_name === column.name);
      if (!found) {
        differences.push(`column "${table}"."${column.name}" is missing`);
        continue;
      }
      if (found.udt_name !== column.udt) {
        differences.push(`column "${table}"."${column.name}" is ${found.udt_name}, the schema says ${column.udt}`);
      }
      const size =
        found.character_maximum_length ?? (column.udt.startsWith('timestamp') ? found.datetime_precision : null);
      if (column.size !== null && size !== column.size) {
        differences.push(`column "${table}"."${column.name}" has size ${size}, the schema says ${column.size}`);
      }
      if (column.nullable !== 'any' && (found.is_nullable === 'YES') !== column.nullable) {
        differences.push(
          `column "${table}"."${column.name}" is ${found.is_nullable === 'YES' ? 'nullable' : 'NOT NULL'}, the schema says ${column.nullable ? 'nullable' : 'required'}`,
        );
      }
    }
    for (const column of live) {
      if (!expectedColumns.some((item) => item.name === column.column_name)) {
        differences.push(`column "${table}"."${column.column_name}" is not in the schema`);
      }
    }
  }
  for (const [name, labels] of expected.enums) {
    const found = enums.find((item) => item.name === name);
    if (!found) differences.push(`enum "${name}" is missing`);
    else if (found.labels.join(',') !== labels.join(',')) {
      differences.push(`enum "${name}" has (${found.labels.join(', ')}), the schema says (${labels.join(', ')})`);
    }
  }
  for (const index of expected.indexes) {
    const match = indexes.some(
      (live) =>
        live.table_name === index.table &&
        live.columns.join(',') === index.columns.join(',') &&
        (index.kind === 'primary' ? live.is_primary : index.kind === 'unique' ? live.is_unique : true),
    );
    if (!match) differences.push(`${index.kind} index on "${index.table}" (${index.columns.join(', ')}) is missing`);
  }
  return differences;
}

/** Throws SchemaDriftError listing every difference, or returns quietly when the database matches. */
export async function verifySchema(connectionString: string, schemaPath: string): Promise<void> {
  const expected = await readExpectedSchema(schemaPath);
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const tables = [...expected.tables.keys()];
    const { rows: columns } = await client.query<LiveColumn>(
      `SELECT table_name, column_name, udt_name, is_nullable, character_maximum_length, datetime_precision
       FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ANY($1)`,
      [tables],
    );
    const { rows: indexes } = await client.query(LIVE_INDEXES);
    const { rows: enums } = await client.query(LIVE_ENUMS);
    const differences = compare(expected, columns, indexes, enums);
    if (differences.length > 0) throw new SchemaDriftError(differences);
  } finally {
    await client.end();
  }
}
