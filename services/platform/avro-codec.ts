/**
 * Typed Avro codecs over the Confluent wire format: byte 0 is magic 0, bytes 1-4 the schema id
 * (big-endian), then the Avro body. Encoding registers the topic's current schema once (under
 * `<topic>-value`) and reuses its id; decoding reads the writer schema by id (one registry fetch
 * per id, even when many decodes ask at once) and resolves it into the topic's current schema,
 * so records written with any compatible earlier version decode into today's shape.
 */
import type avro from 'avsc';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { PlatformError } from './errors.ts';
import type { TopicValues } from './events.ts';
import { err, ok, type Result } from './result.ts';
import { readSchemaJson, subjectOf, typeOf } from './schemas.ts';
import type { TopicName } from './topics.ts';

const MAGIC = 0;
const HEADER_BYTES = 5;

export interface AvroCodec {
  /** Validates and encodes; a value that does not fit the schema is an error naming each bad field. */
  encode<T extends TopicName>(topic: T, value: TopicValues[T]): Promise<Buffer>;
  /**
   * The hot path's encode: synchronous, for a topic `prepare` has registered. Throws CODEC_FAILED
   * for an invalid value (naming each bad field) or a topic not prepared yet.
   */
  encodeSync<T extends TopicName>(topic: T, value: TopicValues[T]): Buffer;
  /** Registers the topics' current schemas once and caches their ids, so encodeSync can run. */
  prepare(topics: readonly TopicName[]): Promise<void>;
  /**
   * Decodes bytes written with any registered version of the topic's schema: synchronously (a
   * Result, no promise) once the record's (topic, schema id) pair has been seen; the first record
   * of a pair fetches the writer schema (a promise) and warms the cache.
   */
  decode<T extends TopicName>(topic: T, bytes: Buffer): Result<TopicValues[T], string> | Promise<Result<TopicValues[T], string>>;
  /** Registers every given topic's current schema now (idempotent); returns topic -> id. */
  registerAll(topics: readonly TopicName[]): Promise<Record<string, number>>;
}

/** A registry client; `auth` (config.registryAuth) is sent as HTTP basic auth. */
export const createRegistryClient = (registryUrl: string, auth?: { readonly username: string; readonly password: string } | null): SchemaRegistry =>
  new SchemaRegistry({
    host: registryUrl,
    ...(auth ? { auth: { username: auth.username, password: auth.password } } : {}),
    retry: { retries: 5, initialRetryTimeInSecs: 0.2, maxRetryTimeInSecs: 2 },
  });

/** Paths of the fields that make a value invalid, e.g. ["socPct: 'x' is not a double"]. */
export const invalidPaths = (type: avro.Type, value: unknown): string[] => {
  const problems: string[] = [];
  type.isValid(value, {
    errorHook: (path: string[], v: unknown, t: avro.Type) => {
      const shown = typeof v === 'string' ? `'${v.slice(0, 40)}'` : v === undefined ? 'missing' : JSON.stringify(v)?.slice(0, 40);
      problems.push(`${path.join('.') || '(value)'}: ${shown} is not a valid ${t.typeName}`);
    },
  });
  return problems;
};

const memo = <K, V>(fn: (k: K) => Promise<V>): ((k: K) => Promise<V>) => {
  const cache = new Map<K, Promise<V>>();
  return (k) => {
    let p = cache.get(k);
    if (p === undefined) {
      p = fn(k);
      cache.set(k, p);
      // A failed fetch must not be cached forever: the next caller retries.
      p.catch(() => cache.delete(k));
    }
    return p;
  };
};

export interface AvroCodecOptions {
  readonly registry: SchemaRegistry;
  /** Where the .avsc files live (default: the repo's schemas/). */
  readonly schemasDir?: string;
}

/** A topic's encoder: its reader type and the 5-byte header with its registered id. */
interface Encoder {
  readonly type: avro.Type;
  readonly header: Buffer;
}

/** A (topic, writer id) pair's decoder; no resolver when the writer schema is the reader's own. */
interface Decoder {
  readonly type: avro.Type;
  readonly resolver: avro.Resolver | undefined;
}

const writeHeader = (id: number): Buffer => {
  const h = Buffer.alloc(HEADER_BYTES);
  h.writeUInt8(MAGIC, 0);
  h.writeInt32BE(id, 1);
  return h;
};

export const createAvroCodec = (opts: AvroCodecOptions): AvroCodec => {
  const { registry } = opts;
  const readerType = memo((topic: string) => Promise.resolve(typeOf(readSchemaJson(topic, opts.schemasDir))));

  const registeredId = memo(async (topic: string): Promise<number> => {
    const schema = readSchemaJson(topic, opts.schemasDir);
    try {
      const { id } = await registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
        // The client sets a new subject's level to this option (its default is BACKWARD): keep the design's default.
        { subject: subjectOf(topic), compatibility: COMPATIBILITY.BACKWARD_TRANSITIVE },
      );
      return id;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (/Compatibility does not match/.test(msg)) {
        throw new PlatformError('SCHEMA_INCOMPATIBLE', `subject ${subjectOf(topic)} has another compatibility level than BACKWARD_TRANSITIVE, which gridfleet's schemas rely on (${msg}); set it with: curl -X PUT -H 'Content-Type: application/json' -d '{"compatibility":"BACKWARD_TRANSITIVE"}' <registry>/config/${subjectOf(topic)}`, { cause: e });
      }
      if (/409|incompatible/i.test(msg)) throw new PlatformError('SCHEMA_INCOMPATIBLE', `registering ${subjectOf(topic)} was refused: ${msg}`, { cause: e });
      throw new PlatformError('REGISTRY_UNAVAILABLE', `registering ${subjectOf(topic)} failed: ${msg}`, { cause: e });
    }
  });

  const writerType = memo(async (id: number): Promise<avro.Type> => {
    const schema = (await registry.getSchema(id)) as unknown as avro.Type;
    return typeOf(schema.schema());
  });

  const encoders = new Map<string, Encoder>();
  const decoders = new Map<string, Decoder>();
  const decoderKey = (topic: string, id: number): string => `${topic}\u0000${id}`;

  const prepare = async (topics: readonly TopicName[]): Promise<void> => {
    await Promise.all(topics.filter((t) => !encoders.has(t)).map(async (t) => {
      const [type, id] = await Promise.all([readerType(t), registeredId(t)]);
      encoders.set(t, { type, header: writeHeader(id) });
    }));
  };

  // One scratch buffer for every encode: avsc writes the body into it behind the header, and the
  // record gets one right-sized copy (Node slices small buffers from its own pool).
  let scratch = Buffer.allocUnsafe(64 * 1024);
  const encodeSync = <T extends TopicName>(topic: T, value: TopicValues[T]): Buffer => {
    const e = encoders.get(topic);
    if (e === undefined) throw new PlatformError('CODEC_FAILED', `${topic}: encodeSync before prepare([${topic}])`);
    // The fast check first; the path-collecting walk only runs for values that fail it.
    if (!e.type.isValid(value)) throw new PlatformError('CODEC_FAILED', `${topic} value is invalid: ${invalidPaths(e.type, value).join('; ')}`);
    e.header.copy(scratch, 0);
    let end = e.type.encode(value, scratch, HEADER_BYTES);
    if (end < 0) {
      // avsc answers a negative position when the buffer is too small: grow it and write again.
      scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, HEADER_BYTES - end));
      e.header.copy(scratch, 0);
      end = e.type.encode(value, scratch, HEADER_BYTES);
    }
    const out = Buffer.allocUnsafe(end);
    scratch.copy(out, 0, 0, end);
    return out;
  };

  const loadDecoder = async (topic: TopicName, id: number): Promise<Result<Decoder, string>> => {
    try {
      const [reader, writer] = await Promise.all([readerType(topic), writerType(id)]);
      const same = writer.equals(reader);
      const d: Decoder = { type: reader, resolver: same ? undefined : reader.createResolver(writer) };
      decoders.set(decoderKey(topic, id), d);
      return ok(d);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (/not found/i.test(msg)) return err(`${topic}: schema id ${id} is not in the registry`);
      if (/resolve|incompatible/i.test(msg)) return err(`${topic}: schema id ${id} cannot be read as ${subjectOf(topic)}: ${msg}`);
      throw new PlatformError('REGISTRY_UNAVAILABLE', `fetching schema id ${id}: ${msg}`, { cause: e });
    }
  };

  const decodeWith = <T extends TopicName>(topic: T, id: number, d: Decoder, bytes: Buffer): Result<TopicValues[T], string> => {
    try {
      const decoded: { value: unknown; offset: number } = d.type.decode(bytes, HEADER_BYTES, d.resolver);
      const { value, offset } = decoded;
      if (offset !== bytes.length) return err(`${topic}: Avro body does not match schema id ${id}: ${offset < 0 ? 'truncated buffer' : 'trailing data'}`);
      return ok(value as TopicValues[T]);
    } catch (e) {
      return err(`${topic}: Avro body does not match schema id ${id}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  return {
    async encode(topic, value) {
      await prepare([topic]);
      return encodeSync(topic, value);
    },
    encodeSync,
    prepare,
    decode<T extends TopicName>(topic: T, bytes: Buffer) {
      if (bytes.length < HEADER_BYTES) return err(`${topic}: ${bytes.length} bytes is too short for the Confluent wire format`);
      if (bytes.readUInt8(0) !== MAGIC) return err(`${topic}: unknown magic byte 0x${bytes.readUInt8(0).toString(16)} (expected 0x00)`);
      const id = bytes.readInt32BE(1);
      const d = decoders.get(decoderKey(topic, id));
      if (d !== undefined) return decodeWith(topic, id, d, bytes);
      return loadDecoder(topic, id).then((l) => (l.ok ? decodeWith(topic, id, l.value, bytes) : l));
    },
    async registerAll(topics) {
      const ids = await Promise.all(topics.map(async (t) => [t, await registeredId(t)] as const));
      return Object.fromEntries(ids);
    },
  };
};
