/**
 * The schemas of the console's API (TypeBox): they validate the browser's requests, type the
 * handlers and are what /openapi.json publishes (docs/openapi/console.json).
 *
 * The console forwards dispatch, cancel and site choices to control, which stays the authority on
 * them (the console may import only services/platform, so control's own schemas are not shared):
 * the bodies here give each field its type and leave the limits and the unknown-field refusal to
 * control, whose answer (status and body) the console relays as it came. Semantic checks with
 * their own codes (INVALID_SIGN_IN, INVALID_SCOPE) stay in roles.ts and forecast-queries.ts.
 */
import { Type, type TSchema } from 'typebox';

const Id = Type.String({ minLength: 1, maxLength: 200 });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
/** A JSON object that may carry more fields than those named (control's answers grow). */
const Open = <P extends Record<string, TSchema>>(props: P, description?: string) =>
  Type.Object(props, { additionalProperties: true, ...(description === undefined ? {} : { description }) });

export const EventParams = Type.Object({ eventId: Id });
export const SiteParams = Type.Object({ siteId: Id });

export const SignInBody = Type.Object({
  token: Type.String({ maxLength: 1024, description: 'a control token (CONTROL_TOKENS): 8 to 512 characters without spaces' }),
  siteId: Type.Optional(Type.String({ maxLength: 256, description: 'customers: the site the token controls (letters, digits, ".", "_", "-"); empty or absent for operators and viewers' })),
}, { additionalProperties: false });

export const Capabilities = Type.Object({
  seeFleet: Type.Boolean(), seeEvents: Type.Boolean(), dispatch: Type.Boolean(), cancel: Type.Boolean(),
  seeForecasts: Type.Boolean(), seeHealth: Type.Boolean(), ownSite: Type.Boolean(),
});
export const Who = Type.Object({
  role: Type.Union([Type.Literal('operator'), Type.Literal('viewer'), Type.Literal('customer')]),
  siteId: Nullable(Type.String()),
  capabilities: Capabilities,
}, { $id: 'Who' });
export const SignedOut = Type.Object({ signedOut: Type.Literal(true) });

export const CreateEventBody = Open({
  kind: Type.String({ description: 'VPP_DISPATCH, CHARGE, DEMAND_PEAK, STORM_WATCH or OUTAGE (control.json)' }),
  scopeAssetId: Id,
  targetMw: Type.Optional(Nullable(Type.Number())),
  startMs: Type.Optional(Type.Number()),
  endMs: Type.Optional(Type.Number()),
  durationMin: Type.Optional(Type.Number()),
  weatherCellIds: Type.Optional(Type.Array(Type.String(), { maxItems: 10_000 })),
  reason: Type.Optional(Nullable(Type.String())),
}, 'forwarded to control\'s POST /v1/events as it is (control.json, CreateEventBody)');
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'forwarded to control: a retried POST with the same key creates one event' })),
});
export const CancelBody = Open({ reason: Type.Optional(Nullable(Type.String())) }, 'forwarded to control; may be empty');
export const OptOutBody = Open({ eventId: Id }, 'forwarded to control\'s POST /v1/sites/{siteId}/opt-outs');
export const ReserveBody = Open({ reservePct: Nullable(Type.Number()) }, 'forwarded to control\'s PUT /v1/sites/{siteId}/reserve (0 to 100, null: the default)');

/** Control's answers as relayed (control.json has them in full). */
export const EventAnswer = Open({ event: Open({ eventId: Type.String() }), status: Type.String() }, 'control\'s EventDetail');
export const OptOutAnswer = Open({ siteId: Type.String(), eventId: Type.String() });
export const ReserveAnswer = Open({ siteId: Type.String(), reservePct: Nullable(Type.Number()) });

export const ForecastQuery = Type.Object({
  scope: Type.String({ maxLength: 256, description: 'an asset, weather cell or grid region id: 1 to 128 letters, digits, ".", "_" or "-"' }),
});
const Points = Type.Array(Type.Object({ x: Type.Number({ description: 'epoch ms' }), y: Type.Number() }));
const Quantity = Type.Object({ forecast: Points, actual: Points });
export const ForecastView = Type.Union([
  Type.Object({ state: Type.Literal('unavailable'), scope: Type.String(), reason: Type.String() }),
  Type.Object({ state: Type.Literal('empty'), scope: Type.String(), message: Type.String() }),
  Type.Object({
    state: Type.Literal('ok'), scope: Type.String(), runId: Type.String(), issuedAtMs: Type.Number(), stepMinutes: Type.Number(), sites: Type.Number(),
    solarKw: Quantity, loadKw: Quantity, carbonGPerKwh: Quantity, temperatureC: Quantity,
    errorByHorizon: Type.Array(Type.Object({ kind: Type.String(), horizonH: Type.Number(), mae: Type.Number(), bias: Type.Number(), n: Type.Number() })),
    errorNote: Nullable(Type.String()),
  }),
], { description: 'the forecast panel: "unavailable" (ClickHouse did not answer, with why), "empty" (no forecast for the scope) or the newest run with what happened and the error by horizon' });

export const Health = Type.Object({ status: Type.Literal('ok'), streams: Type.Integer({ minimum: 0, description: 'live streams open' }) });
