/**
 * What `npm run ops` prints: control's answers as the console shows them (every number with its
 * unit, times in UTC). Pure: control's JSON in, text out; fields control does not send print as
 * "-" rather than failing, so an older or newer control still reads.
 */
import { formatTable } from '../../platform/format-table.ts';

type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '-' : JSON.stringify(v));

export const utc = (ms: unknown): string => {
  const n = num(ms);
  return n === null ? '-' : `${new Date(n).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
};

export const kw = (v: unknown): string => {
  const n = num(v);
  if (n === null) return '-';
  return Math.abs(n) >= 1000 ? `${(n / 1000).toFixed(2)} MW` : `${n.toFixed(1)} kW`;
};

const pct = (part: number | null, whole: number | null): string =>
  part === null || whole === null || whole === 0 ? '-' : `${Math.round((100 * part) / whole)} %`;

/** `events list`: one row an event, newest first as control sends them. */
export const formatEventList = (answer: unknown): string => {
  const events = Array.isArray(obj(answer)['events']) ? (obj(answer)['events'] as unknown[]) : [];
  const rows = events.map((e) => {
    const s = obj(e);
    const ev = obj(s['event']);
    const target = num(ev['targetMw']);
    return [str(ev['eventId']), str(ev['kind']), str(ev['scopeAssetId']), str(s['status']), target === null ? '-' : `${target} MW`,
      kw(s['allocatedKw']), kw(s['shortfallKw']), str(s['sites']), utc(ev['startMs']), utc(ev['endMs']), str(ev['issuedBy'])];
  });
  return formatTable(['event', 'kind', 'scope', 'status', 'target', 'allocated', 'shortfall', 'sites', 'start', 'end', 'issued by'], rows);
};

/** `events show`: the event, its fulfillment (target against measured response) and its commands. */
export const formatEventDetail = (answer: unknown): string => {
  const d = obj(answer);
  const ev = obj(d['event']);
  const f = obj(d['fulfillment']);
  const c = obj(f['commands']);
  const target = num(f['targetKw']);
  const response = num(f['responseKw']);
  const delivered = num(f['deliveredSites']);
  const targeted = num(f['targetedSites']);
  const lines = [
    `${str(ev['eventId'])}  ${str(ev['kind'])} of ${str(ev['scopeAssetId'])}  ${str(d['status'])}`,
    `  window      ${utc(ev['startMs'])} to ${utc(ev['endMs'])}, issued by ${str(ev['issuedBy'])}${typeof ev['reason'] === 'string' ? `: ${ev['reason']}` : ''}`,
    `  target      ${kw(target)}; measured response ${kw(response)} (${pct(response, target)})`,
    `  allocated   ${kw(d['allocatedKw'])}, shortfall ${kw(d['shortfallKw'])}`,
    `  delivered   ${str(delivered)}/${str(targeted)} sites (${pct(delivered, targeted)})`,
    `  commands    ${['issued', 'sent', 'accepted', 'rejected', 'completed', 'expired'].map((k) => `${k} ${str(c[k])}`).join(', ')}`,
  ];
  const rejections = Array.isArray(f['rejections']) ? (f['rejections'] as unknown[]) : [];
  if (rejections.length > 0) {
    lines.push(`  rejections  (${rejections.length}${rejections.length > 5 ? ', first 5' : ''})`);
    for (const r of rejections.slice(0, 5)) lines.push(`    ${str(obj(r)['siteId'])}: ${str(obj(r)['reason'])}`);
  }
  const dropped = Array.isArray(d['dropped']) ? (d['dropped'] as unknown[]) : [];
  if (dropped.length > 0) lines.push(`  dropped     ${dropped.length} site(s): ${dropped.slice(0, 10).map(str).join(', ')}${dropped.length > 10 ? ', …' : ''}`);
  return lines.join('\n');
};

/** A refusal as one line: control's `{code, message}` when it sent one. */
export const formatRefusal = (status: number, answer: unknown): string => {
  const a = obj(answer);
  return typeof a['message'] === 'string' ? `${status} ${str(a['code'])}: ${a['message']}` : `control answered ${status}`;
};
