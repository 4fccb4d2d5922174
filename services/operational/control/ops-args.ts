/**
 * The arguments of `npm run ops`, the operator CLI over control's API, parsed with Node's
 * util.parseArgs into a plain command. Pure: every mistake is listed in a Result, never thrown.
 */
import { parseArgs } from 'node:util';
import type { Result } from '../../platform/result.ts';

export const OPS_USAGE = `usage: npm run ops -- events list [--json]
       npm run ops -- events show <eventId> [--json]
       npm run ops -- events dispatch --kind KIND --scope ASSET [--target-mw MW] (--duration-min MIN | --end-ms MS)
                                      [--start-ms MS] [--weather-cells a,b] [--reason TEXT] [--idempotency-key KEY] [--json]
       npm run ops -- events cancel <eventId> [--reason TEXT] [--json]

The operator's view of control's API (what the console's Dispatch view shows), from a terminal.
KIND: VPP_DISPATCH, CHARGE, DEMAND_PEAK, STORM_WATCH, OUTAGE (see docs/control.md).

options:
  --url URL       control's API (default CONTROL_URL, else http://127.0.0.1:8091)
  --token TOKEN   a control token (default CONTROL_TOKEN; in development dev-operator-token)
  --json          print control's JSON answer instead of a table
  -h, --help      this text

Exit 0 on success, 1 when control refuses (its code and message are printed), 2 on a usage
error, 3 when control cannot be reached.`;

export type OpsCommand =
  | { kind: 'help' }
  | { kind: 'list' }
  | { kind: 'show'; eventId: string }
  | { kind: 'dispatch'; body: Record<string, unknown>; idempotencyKey: string | null }
  | { kind: 'cancel'; eventId: string; reason: string | null };

export interface OpsArgs {
  readonly command: OpsCommand;
  readonly json: boolean;
  readonly url: string | null;
  readonly token: string | null;
}

const EVENT_KINDS = ['VPP_DISPATCH', 'CHARGE', 'DEMAND_PEAK', 'STORM_WATCH', 'OUTAGE'];

const number = (name: string, v: string | undefined, problems: string[]): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) problems.push(`--${name} ${v}: not a number`);
  return n;
};

export const parseOpsArgs = (argv: readonly string[]): Result<OpsArgs, string[]> => {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv], allowPositionals: true, strict: true,
      options: {
        json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, url: { type: 'string' }, token: { type: 'string' },
        kind: { type: 'string' }, scope: { type: 'string' }, 'target-mw': { type: 'string' }, 'duration-min': { type: 'string' },
        'start-ms': { type: 'string' }, 'end-ms': { type: 'string' }, 'weather-cells': { type: 'string' }, reason: { type: 'string' },
        'idempotency-key': { type: 'string' },
      },
    });
  } catch (e) {
    return { ok: false, error: [e instanceof Error ? e.message : String(e)] };
  }
  const { values: v, positionals } = parsed;
  const common = { json: v.json === true, url: v.url ?? null, token: v.token ?? null };
  if (v.help === true) return { ok: true, value: { ...common, command: { kind: 'help' } } };
  const [noun, verb, id, ...extra] = positionals;
  const problems: string[] = [];
  if (noun !== 'events') return { ok: false, error: [noun === undefined ? 'no command' : `unknown command ${noun}: the CLI has 'events'`] };
  if (extra.length > 0) problems.push(`unexpected arguments: ${extra.join(' ')}`);
  const needId = (): string => {
    if (id === undefined || id === '') problems.push(`events ${verb ?? ''} needs an event id`);
    return id ?? '';
  };
  let command: OpsCommand | undefined;
  switch (verb) {
    case 'list':
      if (id !== undefined) problems.push(`events list takes no id`);
      command = { kind: 'list' };
      break;
    case 'show':
      command = { kind: 'show', eventId: needId() };
      break;
    case 'cancel':
      command = { kind: 'cancel', eventId: needId(), reason: v.reason ?? null };
      break;
    case 'dispatch': {
      if (id !== undefined) problems.push('events dispatch takes options, not an id');
      if (v.kind === undefined || !EVENT_KINDS.includes(v.kind)) problems.push(`--kind: one of ${EVENT_KINDS.join(', ')}`);
      if (v.scope === undefined || v.scope === '') problems.push('--scope: the asset id at the root of the subtree (fleet, region, substation, feeder or site)');
      const targetMw = number('target-mw', v['target-mw'], problems);
      const durationMin = number('duration-min', v['duration-min'], problems);
      const startMs = number('start-ms', v['start-ms'], problems);
      const endMs = number('end-ms', v['end-ms'], problems);
      if (durationMin === undefined && endMs === undefined) problems.push('give --duration-min or --end-ms');
      const body: Record<string, unknown> = { kind: v.kind, scopeAssetId: v.scope };
      if (targetMw !== undefined) body['targetMw'] = targetMw;
      if (durationMin !== undefined) body['durationMin'] = durationMin;
      if (startMs !== undefined) body['startMs'] = startMs;
      if (endMs !== undefined) body['endMs'] = endMs;
      if (v['weather-cells'] !== undefined) body['weatherCellIds'] = v['weather-cells'].split(',').map((c) => c.trim()).filter((c) => c !== '');
      if (v.reason !== undefined) body['reason'] = v.reason;
      command = { kind: 'dispatch', body, idempotencyKey: v['idempotency-key'] ?? null };
      break;
    }
    default:
      problems.push(verb === undefined ? 'events needs list, show, dispatch or cancel' : `unknown: events ${verb} (list, show, dispatch or cancel)`);
  }
  if (problems.length > 0 || command === undefined) return { ok: false, error: problems };
  return { ok: true, value: { ...common, command } };
};
