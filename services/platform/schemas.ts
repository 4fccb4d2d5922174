/**
 * The Avro schemas of the topics, loaded from schemas/<topic>.avsc, and their history under
 * schemas/history/<topic>/v<N>.avsc. Registered under the subject `<topic>-value`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { TopicNames, type TopicName } from './topics.ts';
import { REPO_ROOT } from './repo-root.ts';

export const SCHEMAS_DIR = join(REPO_ROOT, 'schemas');

/** Unwrapped ["null", T] unions give plain `T | null` values; logical types stay numbers. */
export const AVRO_TYPE_OPTIONS = Object.freeze({ wrapUnions: 'auto' as const });

export const subjectOf = (topic: string): string => `${topic}-value`;

export const allTopics = (): readonly TopicName[] => Object.values(TopicNames);

export const readSchemaJson = (topic: string, dir = SCHEMAS_DIR): avro.Schema =>
  JSON.parse(readFileSync(join(dir, `${topic}.avsc`), 'utf8')) as avro.Schema;

export const typeOf = (schema: avro.Schema): avro.Type => avro.Type.forSchema(schema, { ...AVRO_TYPE_OPTIONS, registry: {} });

/** Historical versions of a topic's schema, oldest first: [{ version, schema }]. */
export const schemaHistory = (topic: string, dir = SCHEMAS_DIR): Array<{ version: number; schema: avro.Schema }> =>
  readdirSync(join(dir, 'history', topic))
    .map((f) => /^v(\d+)\.avsc$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      version: Number(m[1]),
      schema: JSON.parse(readFileSync(join(dir, 'history', topic, m[0]), 'utf8')) as avro.Schema,
    }))
    .sort((a, b) => a.version - b.version);
