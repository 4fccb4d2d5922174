/**
 * Checks that a TypeScript type (read with the compiler's type checker) and an Avro schema
 * describe the same value, as the codecs produce it: records are objects with exactly the schema's
 * fields (a TypeScript `?` only where the schema has a default), enums are unions of exactly their
 * symbols, ["null", T] is `T | null`, arrays are arrays, maps are string records, numbers of every
 * Avro width (and timestamp logical types) are `number`, bytes are `Buffer`.
 * Returns one line per disagreement, each with the path to it; an empty list means they agree.
 */
import ts from 'typescript';

type AvroSchema = string | AvroSchema[] | { type: AvroSchema; [k: string]: unknown };
interface AvroField { name: string; type: AvroSchema; default?: unknown }

const NUMBERS = new Set(['int', 'long', 'float', 'double']);

export const typeDisagreements = (checker: ts.TypeChecker, type: ts.Type, schema: AvroSchema, path: string, named = new Map<string, AvroSchema>()): string[] => {
  const show = (): string => checker.typeToString(type);
  const nonUndefined = type.isUnion() ? type.types.filter((t) => (t.flags & ts.TypeFlags.Undefined) === 0) : [type];
  if (Array.isArray(schema)) {
    const branches = schema.filter((s) => s !== 'null');
    const hasNull = branches.length < schema.length;
    const tsHasNull = nonUndefined.some((t) => (t.flags & ts.TypeFlags.Null) !== 0);
    if (hasNull !== tsHasNull) return [`${path}: schema ${hasNull ? 'allows' : 'forbids'} null, TypeScript type is ${show()}`];
    if (branches.length !== 1) return [`${path}: unions other than ["null", T] are not used by the codecs`];
    const rest = nonUndefined.filter((t) => (t.flags & ts.TypeFlags.Null) === 0);
    const inner = rest.length === 1 && rest[0] !== undefined ? rest[0] : type.isUnion() && rest.length > 1 ? checker.getNonNullableType(type) : type;
    return typeDisagreements(checker, inner, branches[0] as AvroSchema, path, named);
  }
  if (typeof schema === 'string') {
    const resolved = named.get(schema);
    if (resolved !== undefined) return typeDisagreements(checker, type, resolved, path, named);
    const flagsAll = (f: ts.TypeFlags): boolean => nonUndefined.every((t) => (t.flags & f) !== 0);
    if (NUMBERS.has(schema)) return flagsAll(ts.TypeFlags.NumberLike) ? [] : [`${path}: schema ${schema}, TypeScript ${show()}`];
    if (schema === 'string') return flagsAll(ts.TypeFlags.String) ? [] : [`${path}: schema string, TypeScript ${show()}`];
    if (schema === 'boolean') return flagsAll(ts.TypeFlags.BooleanLike) ? [] : [`${path}: schema boolean, TypeScript ${show()}`];
    if (schema === 'bytes') return show() === 'Buffer' || show().startsWith('Buffer<') ? [] : [`${path}: schema bytes, TypeScript ${show()}`];
    if (schema === 'null') return flagsAll(ts.TypeFlags.Null) ? [] : [`${path}: schema null, TypeScript ${show()}`];
    return [`${path}: unknown Avro type ${schema}`];
  }
  const kind = schema.type;
  if (typeof kind !== 'string' || !['record', 'enum', 'array', 'map'].includes(kind)) return typeDisagreements(checker, type, kind, path, named);
  const name = typeof schema['name'] === 'string' ? schema['name'] : undefined;
  if (name !== undefined) {
    named.set(name, schema);
    const ns = typeof schema['namespace'] === 'string' ? schema['namespace'] : undefined;
    if (ns !== undefined) named.set(`${ns}.${name}`, schema);
  }
  if (kind === 'enum') {
    const symbols = [...(schema['symbols'] as string[])].sort();
    const literals = nonUndefined.map((t) => (t.isStringLiteral() ? t.value : `<${checker.typeToString(t)}>`)).sort();
    return JSON.stringify(symbols) === JSON.stringify(literals) ? [] : [`${path}: enum symbols ${symbols.join('|')}, TypeScript ${literals.join('|')}`];
  }
  if (kind === 'array') {
    const t = nonUndefined[0];
    const element = t !== undefined && checker.isArrayType(t) ? checker.getTypeArguments(t as ts.TypeReference)[0] : undefined;
    if (element === undefined) return [`${path}: schema array, TypeScript ${show()}`];
    return typeDisagreements(checker, element, schema['items'] as AvroSchema, `${path}[]`, named);
  }
  if (kind === 'map') {
    const index = checker.getIndexTypeOfType(type, ts.IndexKind.String);
    return index === undefined ? [`${path}: schema map, TypeScript ${show()}`] : typeDisagreements(checker, index, schema['values'] as AvroSchema, `${path}{}`, named);
  }
  const fields = schema['fields'] as AvroField[];
  const props = checker.getPropertiesOfType(checker.getNonNullableType(type));
  const out: string[] = [];
  const byName = new Map(props.map((p) => [p.getName(), p]));
  for (const f of fields) {
    const p = byName.get(f.name);
    if (p === undefined) { out.push(`${path}.${f.name}: in the schema, missing from the TypeScript type`); continue; }
    const optional = (p.flags & ts.SymbolFlags.Optional) !== 0;
    if (optional && !('default' in f)) out.push(`${path}.${f.name}: optional in TypeScript but the schema has no default`);
    const decl = p.valueDeclaration ?? p.declarations?.[0];
    const pt = decl !== undefined ? checker.getTypeOfSymbolAtLocation(p, decl) : checker.getTypeOfSymbol(p);
    out.push(...typeDisagreements(checker, pt, f.type, `${path}.${f.name}`, named));
  }
  for (const p of props) if (!fields.some((f) => f.name === p.getName())) out.push(`${path}.${p.getName()}: in the TypeScript type, not in the schema`);
  return out;
};

/** The program and checker for one source file (the project's compiler options, no emit). */
export const checkerFor = (file: string): { checker: ts.TypeChecker; source: ts.SourceFile } => {
  const program = ts.createProgram([file], { strict: true, exactOptionalPropertyTypes: true, allowImportingTsExtensions: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, types: ['node'] });
  const source = program.getSourceFile(file);
  if (source === undefined) throw new Error(`cannot read ${file}`);
  return { checker: program.getTypeChecker(), source };
};

/** The value type per topic from an interface whose property keys are topic names. */
export const topicValueTypes = (checker: ts.TypeChecker, source: ts.SourceFile, interfaceName: string): Map<string, ts.Type> => {
  const sym = checker.getSymbolAtLocation(source)?.exports?.get(ts.escapeLeadingUnderscores(interfaceName));
  if (sym === undefined) throw new Error(`${interfaceName} is not exported`);
  const t = checker.getDeclaredTypeOfSymbol(sym);
  return new Map(checker.getPropertiesOfType(t).map((p) => [p.getName(), checker.getTypeOfSymbol(p)]));
};
