/**
 * `npm run ops`: the operator CLI over control's HTTP API (see OPS_USAGE in ops-args.ts). The shell
 * only: arguments and printing are pure modules; this does the HTTP calls and picks exit codes.
 */
import { formatEventDetail, formatEventList, formatRefusal } from './ops-format.ts';
import { OPS_USAGE, parseOpsArgs, type OpsArgs } from './ops-args.ts';

const DEV_TOKEN = 'dev-operator-token';

interface Answer { status: number; body: unknown }

const call = async (base: string, token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
  const res = await fetch(new URL(path, base), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page): printed as it came.
  }
  return { status: res.status, body: parsed };
};

const run = async (args: OpsArgs, env: NodeJS.ProcessEnv): Promise<number> => {
  const base = args.url ?? env['CONTROL_URL'] ?? 'http://127.0.0.1:8091';
  const token = args.token ?? env['CONTROL_TOKEN'] ?? (env['GRIDFLEET_ENV'] === 'production' ? undefined : DEV_TOKEN);
  if (token === undefined) {
    process.stderr.write('give a control token with --token or CONTROL_TOKEN (production has no default)\n');
    return 2;
  }
  const c = args.command;
  let answer: Answer;
  let ok: number;
  let render: (body: unknown) => string;
  switch (c.kind) {
    case 'help':
      process.stdout.write(`${OPS_USAGE}\n`);
      return 0;
    case 'list':
      answer = await call(base, token, 'GET', '/v1/events');
      ok = 200;
      render = formatEventList;
      break;
    case 'show':
      answer = await call(base, token, 'GET', `/v1/events/${encodeURIComponent(c.eventId)}`);
      ok = 200;
      render = formatEventDetail;
      break;
    case 'dispatch':
      answer = await call(base, token, 'POST', '/v1/events', c.body, c.idempotencyKey === null ? {} : { 'idempotency-key': c.idempotencyKey });
      ok = 201;
      render = formatEventDetail;
      break;
    case 'cancel':
      answer = await call(base, token, 'POST', `/v1/events/${encodeURIComponent(c.eventId)}/cancel`, c.reason === null ? {} : { reason: c.reason });
      ok = 200;
      render = formatEventDetail;
      break;
  }
  if (answer.status !== ok && !(c.kind === 'dispatch' && answer.status === 200)) {
    process.stderr.write(`${formatRefusal(answer.status, answer.body)}\n`);
    return 1;
  }
  process.stdout.write(`${args.json ? JSON.stringify(answer.body, null, 2) : render(answer.body)}\n`);
  return 0;
};

const main = async (argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> => {
  const args = parseOpsArgs(argv);
  if (!args.ok) {
    process.stderr.write(`${args.error.join('\n')}\n\n${OPS_USAGE}\n`);
    return 2;
  }
  try {
    return await run(args.value, env);
  } catch (e) {
    const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
    process.stderr.write(`cannot reach control: ${e instanceof Error ? e.message : String(e)}${cause}\n`);
    return 3;
  }
};

main(process.argv.slice(2), process.env).then((code) => process.exit(code), (e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
