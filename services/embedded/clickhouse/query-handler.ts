/**
 * One ClickHouse HTTP query request, from URL and body to response: authenticate, find the query
 * and any inline insert data, pick a connection (fresh, or the HTTP session's), apply database and
 * settings, then run it the cheapest correct way: SELECTs stream block by block, inserts stream
 * their bodies into the engine through a pipe, all or nothing, everything else runs once.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../platform/logger.ts';
import type { Engine, EngineConnection, EngineStream } from './chdb-engine.ts';
import { ownException, parseEngineError, type ChException } from './exception.ts';
import { pickResponseEncoding } from './http-codecs.ts';
import type { HttpSessions } from './http-sessions.ts';
import type { InsertPipes } from './insert-pipes.ts';
import { bodyReader, decodedBody, type BodyReader } from './request-body.ts';
import { parseRequest, type ParsedRequest } from './request-params.ts';
import { emptySummary, sendException, startBody, type ResponseContext, type Summary } from './response-writer.ts';
import { planSettings, setStatement, tagForCancel } from './settings-plan.ts';
import { infileInsert, isBlank, namedFormat, splitInsert, statementKind } from './sql-inspect.ts';
import { chunkJoiner, streamJoin } from './stream-joins.ts';
import { BodyFailure, singleBlockSettings, streamInsert } from './streamed-insert.ts';
import type { AccessGuard } from './access-guard.ts';
import { checkGrants } from './grant-guard.ts';
import type { QuerySlots } from './query-slots.ts';
import type { Quotas } from './quotas.ts';
import { authenticate, type Users } from './users.ts';

export interface HandlerDeps {
  readonly engine: Engine;
  readonly sessions: HttpSessions;
  readonly users: Users;
  readonly version: string;
  readonly timezone: string;
  readonly maxInsertBytes: number;
  readonly pipes: InsertPipes;
  readonly log: Logger;
  /** Refuses statements that reach the host (host-access.ts). */
  readonly guard: AccessGuard;
  /** Per-user concurrent query limits (query-slots.ts). */
  readonly slots: QuerySlots;
  /** Per-user quotas over time (quotas.ts). */
  readonly quotas: Quotas;
}

/** Thrown inside the handler to answer with a ClickHouse exception. */
class ChFailure extends Error {
  constructor(readonly exception: ChException) {
    super(exception.text);
  }
}
function fail(e: ChException): never {
  throw new ChFailure(e);
}
const toException = (e: unknown): ChException =>
  e instanceof ChFailure || e instanceof BodyFailure ? e.exception : parseEngineError(e instanceof Error ? e.message : String(e));

/** What to run: a plain query, or an insert prefix whose data comes from the body. */
type Work =
  | { readonly kind: 'query'; readonly sql: string }
  | { readonly kind: 'insert'; readonly prefix: string; readonly body: BodyReader };

const HEAD_PEEK = 1024 * 1024;
const STREAM_UNSUPPORTED = /Streaming query is not supported/;

/** Whether the engine can read this insert's data from a file (not INSERT ... SELECT). */
const takesData = (prefix: string): boolean => infileInsert(prefix, '') !== undefined;

const resolveWork = async (method: string, p: ParsedRequest, body: BodyReader, maxBytes: number): Promise<Work> => {
  const url = p.urlQuery;
  if (method === 'GET') return { kind: 'query', sql: url ?? '' };
  if (url !== undefined && statementKind(url) === 'insert') {
    const head = await body.peek(1);
    if (head.length === 0) return { kind: 'query', sql: url };
    if (takesData(url)) return { kind: 'insert', prefix: url, body };
  }
  if (url === undefined) {
    const head = await body.peek(HEAD_PEEK);
    const split = splitInsert(head.toString('latin1'));
    if (split && split.dataOffset < head.length) {
      const prefix = head.subarray(0, Buffer.byteLength(split.query, 'latin1')).toString('utf8');
      if (takesData(prefix)) {
        body.skip(split.dataOffset);
        return { kind: 'insert', prefix, body };
      }
    }
  }
  const rest = await body.readAll(maxBytes);
  if (!rest.ok) return fail(rest.error);
  const text = rest.value.toString('utf8');
  return { kind: 'query', sql: url === undefined ? text : text.length > 0 ? `${url}\n${text}` : url };
};

/**
 * Streams the body into the engine while it arrives (see streamed-insert.ts): one block, read
 * through a stored-gzip envelope that only a whole body closes, so a cut body commits nothing.
 */
const runInsert = async (conn: EngineConnection, work: Extract<Work, { kind: 'insert' }>, deps: HandlerDeps, summary: Summary, readonly: boolean): Promise<void> => {
  const pipe = await deps.pipes.lease();
  // A read-only user's insert is refused anyway: without our settings the refusal is the engine's plain one.
  const sql = infileInsert(work.prefix, pipe.path, readonly ? { compression: 'gzip' } : { compression: 'gzip', settings: singleBlockSettings });
  if (sql === undefined) {
    pipe.release();
    fail(ownException('SYNTAX_ERROR', 'INSERT takes no inline data here'));
  }
  const r = await streamInsert(conn, sql, work.body.chunks(), deps.maxInsertBytes, pipe);
  summary.writtenRows = r.rows;
  summary.writtenBytes = r.bytes;
  summary.readRows = r.rows;
  summary.readBytes = r.bytes;
};

const runSelect = async (conn: EngineConnection, sql: string, p: ParsedRequest, ctx: ResponseContext, summary: Summary, res: ServerResponse, tag: string | undefined): Promise<boolean> => {
  const join = streamJoin(ctx.format);
  if (join === undefined) return false;
  const joined = chunkJoiner(join);
  // Listen before the first block: a client that goes away while the engine still works on it
  // gets its query killed (when tagged), not run to its end.
  const gone = new AbortController();
  const onClose = (): void => gone.abort();
  res.once('close', onClose);
  let stream: EngineStream;
  try {
    stream = await conn.stream(sql, ctx.format, p.params, tag === undefined ? { signal: gone.signal } : { signal: gone.signal, tag });
  } catch (e) {
    res.off('close', onClose);
    if (STREAM_UNSUPPORTED.test(toException(e).text)) return false;
    throw e;
  }
  try {
    // Hold up to buffer_size bytes before the headers, as ClickHouse does, so an error early in
    // the result still answers with its status code rather than a broken 200.
    const it = stream[Symbol.asyncIterator]();
    const held: Buffer[] = [];
    let heldBytes = 0;
    let ended = false;
    while (heldBytes <= p.bufferSize) {
      const r = await it.next();
      if (r.done === true) {
        ended = true;
        break;
      }
      const bytes = joined(r.value.bytes);
      held.push(bytes);
      heldBytes += bytes.length;
      summary.resultRows += r.value.rows;
      summary.resultBytes += bytes.length;
    }
    const out = startBody(ctx, summary, false);
    try {
      for (const b of held) await out.write(b);
      held.length = 0;
      while (!ended && !res.destroyed) {
        const r = await it.next();
        if (r.done === true) break;
        // After the headers: counted for the user's quota (quotas.ts), not for the summary header.
        summary.resultRows += r.value.rows;
        await out.write(joined(r.value.bytes));
      }
      await out.end();
    } catch (e) {
      out.fail(toException(e));
    }
  } finally {
    res.off('close', onClose);
    stream.cancel();
  }
  return true;
};

export const handleQuery = async (req: IncomingMessage, res: ServerResponse, url: URL, deps: HandlerDeps): Promise<void> => {
  const method = req.method ?? 'GET';
  const startedNs = process.hrtime.bigint();
  const parsed = parseRequest(url.searchParams, req.headers);
  const ctx: ResponseContext = {
    res,
    queryId: (parsed.ok ? parsed.value.queryId : undefined) ?? randomUUID(),
    format: (parsed.ok ? parsed.value.defaultFormat : undefined) ?? 'TabSeparated',
    timezone: deps.timezone,
    version: deps.version,
    displayName: 'gridfleet-embedded',
    encoding: parsed.ok && parsed.value.compressResponse ? pickResponseEncoding(req.headers['accept-encoding']) : undefined,
    nativeBlocks: parsed.ok && parsed.value.nativeCompressResponse,
    startedNs,
  };
  let lease: { conn: EngineConnection; done: () => void } | undefined;
  let releaseSlot: (() => void) | undefined;
  let recordUse: ((use: { readonly resultRows: number }) => void) | undefined;
  const summary = emptySummary();
  try {
    if (!parsed.ok) fail(parsed.error);
    const p = parsed.value;
    if (method !== 'GET' && method !== 'POST') fail(ownException('UNSUPPORTED_METHOD', `HTTP method ${method} is not supported; use GET for reads and POST for everything`));
    if ((req.headers['content-type'] ?? '').startsWith('multipart/form-data')) {
      fail(ownException('NOT_IMPLEMENTED', 'multipart/form-data requests (external data, multipart query parameters) are not supported by the embedded server'));
    }
    const auth = authenticate(deps.users, p.credentials);
    if (!auth.ok) fail(auth.error);
    const user = auth.value;
    const admitted = deps.quotas.admit(user, Date.now());
    if (!admitted.ok) fail(admitted.exception);
    recordUse = admitted.record;
    const slot = deps.slots.take(user);
    if (!slot.ok) fail(ownException('TOO_MANY_SIMULTANEOUS_QUERIES', `Too many simultaneous queries for user ${user.name}. Current: ${slot.running}, maximum: ${slot.limit}`));
    releaseSlot = slot.release;
    const plan = planSettings({ user, requestSettings: p.settings, method, inSession: p.sessionId !== undefined });
    if (!plan.ok) fail(plan.error);
    const body = decodedBody(req, deps.maxInsertBytes, { blocks: p.nativeDecompressRequest, verifyChecksums: p.nativeChecksums });
    if (!body.ok) fail(body.error);
    const reader = bodyReader(body.value);
    const work = await resolveWork(method, p, reader, deps.maxInsertBytes);
    if (work.kind === 'query' && isBlank(work.sql)) fail(ownException('SYNTAX_ERROR', 'Empty query'));
    const format = (work.kind === 'query' ? namedFormat(work.sql) : undefined) ?? ctx.format;
    const rctx: ResponseContext = { ...ctx, format };

    if (p.sessionId !== undefined) {
      const l = deps.sessions.acquire(p.sessionId, user.name, p.sessionCheck);
      if (!l.ok) fail(l.error);
      const session = l.value;
      lease = { conn: session.conn, done: () => session.release(p.sessionTimeoutSec) };
    } else {
      const conn = deps.engine.connect();
      lease = { conn, done: () => void conn.close() };
    }
    const conn = lease.conn;
    if (p.database !== undefined) await conn.exec(`USE ${quoteIdent(p.database)}`, 'TabSeparated');
    const streamed = work.kind === 'query' && statementKind(work.sql) === 'select' && !p.waitEndOfQuery;
    const tagged = streamed ? tagForCancel(plan.value, { inSession: p.sessionId !== undefined, tag: randomUUID() }) : { plan: plan.value, tag: undefined };
    const set = setStatement(tagged.plan);
    if (set !== undefined) await conn.exec(set, 'TabSeparated');

    // Host access first (every user), then the user's table grants (users with a grants list).
    const statement = work.kind === 'insert' ? work.prefix : work.sql;
    const refusal = (await deps.guard.check(conn, statement, p.params)) ?? (await checkGrants(conn, user, statement, p.params));
    if (refusal !== undefined) fail(refusal);

    if (work.kind === 'insert') {
      await runInsert(conn, work, deps, summary, user.readonly === 1);
      await startBody(rctx, summary, true).end();
      return;
    }
    if (streamed) {
      if (await runSelect(conn, work.sql, p, rctx, summary, res, tagged.tag)) return;
    }
    const r = await conn.exec(work.sql, format, p.params);
    Object.assign(summary, { readRows: r.rowsRead, readBytes: r.bytesRead, resultBytes: r.bytes.length });
    const out = startBody(rctx, summary, true);
    if (r.bytes.length > 0) await out.write(r.bytes);
    await out.end();
  } catch (e) {
    const ex = toException(e);
    deps.log.debug('query failed', { queryId: ctx.queryId, code: ex.code });
    if (!res.headersSent && !res.destroyed) sendException(ctx, ex);
    else res.destroy();
    req.resume();
  } finally {
    lease?.done();
    releaseSlot?.();
    recordUse?.({ resultRows: summary.resultRows });
  }
};

const quoteIdent = (name: string): string => `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
