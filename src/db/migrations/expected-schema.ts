/**
 * What `prisma/schema.prisma` says the database must hold, read with Prisma's own schema parser (the
 * `prisma-schema-wasm` module the Prisma CLI is built on, which runs offline) and reduced to tables, columns,
 * enums and indexes in Postgres terms.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

export interface ExpectedColumn {
  name: string;
  /** `udt_name` in information_schema: text, int4, uuid, timestamptz, _text, grant_status ... */
  udt: string;
  nullable: boolean | 'any';
  /** varchar length or timestamp precision, when the schema fixes one. */
  size: number | null;
}

export interface ExpectedIndex {
  table: string;
  columns: string[];
  kind: 'primary' | 'unique' | 'normal';
}

export interface ExpectedSchema {
  tables: Map<string, ExpectedColumn[]>;
  enums: Map<string, string[]>;
  indexes: ExpectedIndex[];
}

interface DmmfField {
  name: string;
  dbName: string | null;
  kind: 'scalar' | 'enum' | 'object';
  type: string;
  isList: boolean;
  isRequired: boolean;
  nativeType: [string, string[]] | null;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  fields: Array<{ name: string }>;
}
interface Dmmf {
  datamodel: {
    models: DmmfModel[];
    enums: Array<{ name: string; dbName: string | null; values: Array<{ name: string; dbName: string | null }> }>;
    indexes: DmmfIndex[];
  };
}

/** Prisma's default Postgres type per scalar, when the schema names no native type. */
const DEFAULT_UDT: Record<string, { udt: string; size: number | null }> = {
  String: { udt: 'text', size: null },
  Int: { udt: 'int4', size: null },
  BigInt: { udt: 'int8', size: null },
  Float: { udt: 'float8', size: null },
  Decimal: { udt: 'numeric', size: null },
  Boolean: { udt: 'bool', size: null },
  DateTime: { udt: 'timestamp', size: 3 },
  Json: { udt: 'jsonb', size: null },
  Bytes: { udt: 'bytea', size: null },
};

/** Postgres `udt_name` of each Prisma native type we use. */
const NATIVE_UDT: Record<string, string> = {
  Uuid: 'uuid',
  Text: 'text',
  VarChar: 'varchar',
  Char: 'bpchar',
  Timestamptz: 'timestamptz',
  Timestamp: 'timestamp',
  Integer: 'int4',
  BigInt: 'int8',
  SmallInt: 'int2',
  Boolean: 'bool',
  JsonB: 'jsonb',
};

// The wasm module reports panics through this global; without it a schema error crashes with a TypeError.
const panicRegistry = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(message: string): void } };

function parseSchema(schemaText: string): Dmmf {
  let panic = '';
  panicRegistry.PRISMA_WASM_PANIC_REGISTRY ??= {
    set_message: (message) => {
      panic = message;
    },
  };
  const require = createRequire(import.meta.url);
  const wasm = require('@prisma/prisma-schema-wasm') as { get_dmmf(params: string): string };
  try {
    return JSON.parse(wasm.get_dmmf(JSON.stringify({ prismaSchema: [['schema.prisma', schemaText]] }))) as Dmmf;
  } catch (error) {
    throw new Error(`prisma/schema.prisma could not be parsed: ${panic || (error as Error).message}`);
  } finally {
    // The parser is needed once, at start: drop it from the module cache so its WebAssembly memory can be freed.
    for (const key of Object.keys(require.cache)) if (key.includes('prisma-schema-wasm')) delete require.cache[key];
  }
}

function columnOf(field: DmmfField, enumDbNames: Map<string, string>): ExpectedColumn {
  const name = field.dbName ?? field.name;
  let udt: string;
  let size: number | null = null;
  if (field.kind === 'enum') {
    udt = enumDbNames.get(field.type) ?? field.type;
  } else if (field.nativeType) {
    const [nativeName, args] = field.nativeType;
    udt = NATIVE_UDT[nativeName] ?? nativeName.toLowerCase();
    size = args[0] !== undefined ? Number(args[0]) : null;
  } else {
    const known = DEFAULT_UDT[field.type];
    if (!known) throw new Error(`schema field ${field.name} has type ${field.type}, which the check does not know`);
    udt = known.udt;
    size = known.size;
  }
  // Prisma creates list columns without NOT NULL, whatever the schema says.
  return { name, udt: field.isList ? `_${udt}` : udt, nullable: field.isList ? 'any' : !field.isRequired, size };
}

export async function readExpectedSchema(schemaPath: string): Promise<ExpectedSchema> {
  const dmmf = parseSchema(await readFile(schemaPath, 'utf8'));
  const enumDbNames = new Map(dmmf.datamodel.enums.map((item) => [item.name, item.dbName ?? item.name]));
  const tables = new Map<string, ExpectedColumn[]>();
  const fieldColumn = new Map<string, string>();
  const modelTable = new Map<string, string>();
  for (const model of dmmf.datamodel.models) {
    const table = model.dbName ?? model.name;
    modelTable.set(model.name, table);
    const columns = model.fields.filter((field) => field.kind !== 'object').map((f) => columnOf(f, enumDbNames));
    for (const field of model.fields) fieldColumn.set(`${model.name}.${field.name}`, field.dbName ?? field.name);
    tables.set(table, columns);
  }
  const enums = new Map(
    dmmf.datamodel.enums.map((item) => [item.dbName ?? item.name, item.values.map((v) => v.dbName ?? v.name)]),
  );
  const indexes = dmmf.datamodel.indexes
    .filter((index) => index.type !== 'fulltext')
    .map((index) => ({
      table: modelTable.get(index.model) ?? index.model,
      columns: index.fields.map((field) => fieldColumn.get(`${index.model}.${field.name}`) ?? field.name),
      kind:
        index.type === 'id'
          ? ('primary' as const)
          : index.type === 'unique'
            ? ('unique' as const)
            : ('normal' as const),
    }));
  return { tables, enums, indexes };
}
