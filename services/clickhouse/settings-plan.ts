/**
 * Which settings a query runs with: the user's settings first, then the request's, then the
 * readonly level last so the engine itself refuses writes (and, at readonly=1, further SETs).
 * A readonly user may not pass settings, as in ClickHouse. Pure.
 */
import { err, ok, type Result } from '../platform/result.ts';
import { ownException, type ChException } from './exception.ts';
import type { User } from './users.ts';

export interface PlanInput {
  readonly user: User;
  readonly requestSettings: ReadonlyArray<readonly [string, string]>;
  /** GET requests are read-only in ClickHouse (readonly=2: reads, settings may change). */
  readonly method: string;
  /** Inside an HTTP session, GET does not pin readonly=2, or it would stick to the session. */
  readonly inSession: boolean;
}

export const planSettings = (input: PlanInput): Result<ReadonlyArray<readonly [string, string]>, ChException> => {
  const { user, requestSettings, method, inSession } = input;
  if (user.readonly === 1) {
    const own = new Map(user.settings);
    const changed = requestSettings.find(([k, v]) => !(k === 'readonly' && v === '1') && own.get(k) !== v);
    if (changed) return err(ownException('READONLY', `Cannot modify '${changed[0]}' setting in readonly mode`));
    return ok([...user.settings, ['readonly', '1']]);
  }
  const plan: Array<readonly [string, string]> = [...user.settings, ...requestSettings];
  const asksReadonly = requestSettings.some(([k]) => k === 'readonly');
  if (method === 'GET' && !inSession && !asksReadonly) plan.push(['readonly', '2']);
  return ok(plan);
};

/** A setting value as a SQL literal: numbers stay bare, everything else is a quoted string. */
export const settingLiteral = (value: string): string =>
  /^-?\d+(\.\d+)?$/.test(value) ? value : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** One SET statement for the plan, or undefined when it is empty. */
export const setStatement = (plan: ReadonlyArray<readonly [string, string]>): string | undefined =>
  plan.length === 0 ? undefined : `SET ${plan.map(([k, v]) => `${k} = ${settingLiteral(v)}`).join(', ')}`;
