/**
 * Compatibility by Avro schema resolution (avsc resolvers are the judge), with messages that name
 * the offending field. BACKWARD: the new schema, as reader, can read data written with an old one.
 * FORWARD: an old schema, as reader, can read data written with the new one. FULL: both.
 * *_TRANSITIVE: against every given earlier version, otherwise only the latest.
 *
 * Messages follow the shape of Confluent's verbose messages
 * (`{errorType:'...', description:'...', additionalInfo:'field'}`), then the old version and level.
 */
import avsc from 'avsc';
import type { AvroType } from './avro-schema.ts';
import { levelRules, type CompatibilityLevel } from './compatibility-levels.ts';

export interface EarlierSchema {
  readonly version: number;
  readonly type: AvroType;
}

type Role = 'new' | 'old';

interface Problem {
  readonly errorType: string;
  readonly description: string;
  readonly field: string;
}

const canRead = (reader: AvroType, writer: AvroType): string | undefined => {
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
};

const describeType = (t: AvroType): string => t.name ?? t.typeName;
const unionBranches = (t: AvroType): readonly AvroType[] | undefined =>
  t instanceof avsc.types.UnwrappedUnionType || t instanceof avsc.types.WrappedUnionType ? t.types : undefined;

/**
 * Why `reader` cannot read `writer`, located as deep as possible: the walk follows record fields,
 * array items, map values and union branches, and falls back to a type mismatch at the deepest
 * point where avsc still refuses.
 */
const explain = (reader: AvroType, writer: AvroType, path: string, field: string, readerRole: Role): Problem[] => {
  if (canRead(reader, writer) === undefined) return [];
  const writerRole: Role = readerRole === 'new' ? 'old' : 'new';
  const mismatch = (): Problem[] => [
    {
      errorType: 'TYPE_MISMATCH',
      description: `The type of ${field === '' ? 'the schema' : `field '${field}'`} at path '${path === '' ? '/' : path}' in the ${readerRole} schema (${describeType(reader)}) cannot read the ${writerRole} schema's type (${describeType(writer)})`,
      field,
    },
  ];

  const writerBranches = unionBranches(writer);
  if (writerBranches !== undefined) {
    // Every branch the writer may have used must be readable.
    const problems = writerBranches.flatMap((b) => explain(reader, b, path, field, readerRole));
    return problems.length > 0 ? problems : mismatch();
  }
  const readerBranches = unionBranches(reader);
  if (readerBranches !== undefined) {
    const sameKind = readerBranches.find((b) => b.typeName === writer.typeName && (b.name ?? '') === (writer.name ?? ''));
    if (sameKind !== undefined) {
      const deeper = explain(sameKind, writer, path, field, readerRole);
      if (deeper.length > 0) return deeper;
    }
    return [
      {
        errorType: 'MISSING_UNION_BRANCH',
        description: `The ${readerRole} schema's union ${field === '' ? '' : `in field '${field}' `}at path '${path || '/'}' is missing a branch for the ${writerRole} schema's type (${describeType(writer)})`,
        field,
      },
    ];
  }
  const renamed =
    reader.typeName === writer.typeName &&
    reader.name !== undefined &&
    writer.name !== undefined &&
    reader.name !== writer.name &&
    !(reader.aliases ?? []).includes(writer.name);
  if (renamed) {
    return [
      {
        errorType: 'NAME_MISMATCH',
        description: `The name of ${field === '' ? 'the schema' : `field '${field}'`} at path '${path || '/'}' is ${reader.name} in the ${readerRole} schema and ${writer.name} in the ${writerRole} schema`,
        field,
      },
    ];
  }
  if (reader instanceof avsc.types.RecordType && writer instanceof avsc.types.RecordType) {
    const problems: Problem[] = [];
    reader.fields.forEach((rf, i) => {
      const names = [rf.name, ...rf.aliases];
      const wf = writer.fields.find((f) => names.includes(f.name));
      const fieldName = field === '' ? rf.name : `${field}.${rf.name}`;
      if (wf === undefined) {
        if (rf.defaultValue() === undefined) {
          problems.push({
            errorType: 'READER_FIELD_MISSING_DEFAULT_VALUE',
            description: `The field '${fieldName}' at path '${path}/fields/${i}' in the ${readerRole} schema has no default value and is missing in the ${writerRole} schema`,
            field: fieldName,
          });
        }
        return;
      }
      problems.push(...explain(rf.type, wf.type, `${path}/fields/${i}/type`, fieldName, readerRole));
    });
    return problems.length > 0 ? problems : mismatch();
  }
  if (reader instanceof avsc.types.EnumType && writer instanceof avsc.types.EnumType) {
    const missing = writer.symbols.filter((s) => !reader.symbols.includes(s));
    if (missing.length > 0) {
      return [
        {
          errorType: 'MISSING_ENUM_SYMBOLS',
          description: `The ${readerRole} schema's enum ${field === '' ? describeType(reader) : `in field '${field}'`} at path '${path || '/'}' is missing symbols (${missing.join(', ')}) present in the ${writerRole} schema`,
          field,
        },
      ];
    }
    return mismatch();
  }
  if (reader instanceof avsc.types.ArrayType && writer instanceof avsc.types.ArrayType) {
    const deeper = explain(reader.itemsType, writer.itemsType, `${path}/items`, field === '' ? '' : `${field}[]`, readerRole);
    return deeper.length > 0 ? deeper : mismatch();
  }
  if (reader instanceof avsc.types.MapType && writer instanceof avsc.types.MapType) {
    const deeper = explain(reader.valuesType as AvroType, writer.valuesType as AvroType, `${path}/values`, field === '' ? '' : `${field}{}`, readerRole);
    return deeper.length > 0 ? deeper : mismatch();
  }
  if (reader instanceof avsc.types.FixedType && writer instanceof avsc.types.FixedType && reader.size !== writer.size) {
    return [
      {
        errorType: 'FIXED_SIZE_MISMATCH',
        description: `The size of fixed ${field === '' ? describeType(reader) : `field '${field}'`} at path '${path || '/'}' is ${reader.size} in the ${readerRole} schema and ${writer.size} in the ${writerRole} schema`,
        field,
      },
    ];
  }
  return mismatch();
};

const format = (p: Problem): string =>
  `{errorType:'${p.errorType}', description:'${p.description}', additionalInfo:'${p.field}'}`;

/** Problems of `reader` reading `writer`: avsc decides, the walk only explains. */
const directional = (reader: AvroType, writer: AvroType, readerRole: Role): string[] => {
  const refusal = canRead(reader, writer);
  if (refusal === undefined) return [];
  const problems = explain(reader, writer, '', '', readerRole);
  return problems.length > 0 ? problems.map(format) : [`{errorType:'TYPE_MISMATCH', description:'${refusal}', additionalInfo:''}`];
};

/**
 * Messages explaining why `candidate` is incompatible with the earlier versions (ascending order)
 * under `level`; empty means compatible.
 */
export const checkCompatibility = (
  level: CompatibilityLevel,
  candidate: AvroType,
  earlier: readonly EarlierSchema[],
): string[] => {
  if (level === 'NONE' || earlier.length === 0) return [];
  const rules = levelRules(level);
  const against = rules.transitive ? earlier : earlier.slice(-1);
  const messages: string[] = [];
  for (const old of against) {
    const found = [
      ...(rules.backward ? directional(candidate, old.type, 'new') : []),
      ...(rules.forward ? directional(old.type, candidate, 'old') : []),
    ];
    if (found.length > 0) messages.push(...found, `{oldSchemaVersion: ${old.version}}`, `{compatibility: '${level}'}`);
  }
  return messages;
};
