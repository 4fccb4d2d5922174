/**
 * Which settings a query runs with: the user's settings first, then the request's, then the
 * readonly level last so the engine itself refuses writes (and, at readonly=1, further SETs).
 * A readonly user may not pass settings, as in ClickHouse. Pure.
 */
import { err, ok, type Result } from '../../platform/result.ts';
import { ownException, type ChException } from './exception.ts';
import { HOST_SETTINGS, hostSettingRefusal } from './host-access.ts';
import { sqlString } from './sql-inspect.ts';
import type { User } from './users.ts';

export interface PlanInput {
  readonly user: User;
  readonly requestSettings: ReadonlyArray<readonly [string, string]>;
  /** GET requests are read-only in ClickHouse (readonly=2: reads, settings may change). */
  readonly method: string;
  /** Inside an HTTP session, GET does not pin readonly=2, or it would stick to the session. */
  readonly inSession: boolean;
}

/**
 * Settings that limit a whole user (`max_concurrent_queries_for_user`, `max_memory_usage_for_user`,
 * ..._for_all_users) never reach the engine: every connection of the embedded engine is one engine
 * user, so one request setting them would limit every user of the server. The front enforces the
 * ones it supports from the users file (query-slots.ts).
 */
export const isUserWideSetting = (name: string): boolean => /_for_(user|all_users)$/.test(name);

export const planSettings = (input: PlanInput): Result<ReadonlyArray<readonly [string, string]>, ChException> => {
  const hostSetting = input.requestSettings.find(([k]) => HOST_SETTINGS.has(k.toLowerCase()));
  if (hostSetting !== undefined) return err(ownException('ACCESS_DENIED', hostSettingRefusal(hostSetting[0])));
  const planned = planAll(input);
  return planned.ok ? ok(planned.value.filter(([k]) => !isUserWideSetting(k))) : planned;
};

const planAll = (input: PlanInput): Result<ReadonlyArray<readonly [string, string]>, ChException> => {
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
  /^-?\d+(\.\d+)?$/.test(value) ? value : sqlString(value);

/** One SET statement for the plan, or undefined when it is empty. */
export const setStatement = (plan: ReadonlyArray<readonly [string, string]>): string | undefined =>
  plan.length === 0 ? undefined : `SET ${plan.map(([k, v]) => `${k} = ${settingLiteral(v)}`).join(', ')}`;

/** The setting that carries a streamed query's cancel tag; the engine kills by it (chdb-engine.ts). */
export const CANCEL_TAG_SETTING = 'log_comment';

/**
 * Tags a streamed SELECT (CANCEL_TAG_SETTING = tag, first, so anything the plan sets wins) so a
 * client that disconnects before the first block can have it killed. Not inside an HTTP session
 * (the tag would stick to it, and at readonly=1 the next request's SET of it fails with 164), nor
 * when the plan sets the setting itself. A missing tag means: no cancel before the first block.
 */
export const tagForCancel = (
  plan: ReadonlyArray<readonly [string, string]>,
  o: { readonly inSession: boolean; readonly tag: string },
): { readonly plan: ReadonlyArray<readonly [string, string]>; readonly tag: string | undefined } =>
  o.inSession || plan.some(([k]) => k === CANCEL_TAG_SETTING) ? { plan, tag: undefined } : { plan: [[CANCEL_TAG_SETTING, o.tag], ...plan], tag: o.tag };
