/**
 * The schemas of control's HTTP API (TypeBox): they validate requests, type the handlers and are
 * what /openapi.json publishes (docs/openapi/control.json). Semantic checks (a window that ends
 * after it starts, a known scope) stay in event-request.ts and control-service.ts.
 */
import { Type } from 'typebox';
import { RequestKinds } from './event-request.ts';

const Id = Type.String({ minLength: 1, maxLength: 200 });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const EventParams = Type.Object({ eventId: Id });
export const SiteParams = Type.Object({ siteId: Id });

export const CreateEventBody = Type.Object({
  kind: Type.Union(RequestKinds.map((k) => Type.Literal(k))),
  scopeAssetId: Id,
  targetMw: Type.Optional(Nullable(Type.Number({ exclusiveMinimum: 0, description: 'MW to deliver (CHARGE: to absorb); required for VPP_DISPATCH and CHARGE' }))),
  startMs: Type.Optional(Type.Number({ description: 'epoch ms, default now' })),
  endMs: Type.Optional(Type.Number({ description: 'epoch ms; or durationMin' })),
  durationMin: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  weatherCellIds: Type.Optional(Type.Array(Id, { maxItems: 10_000 })),
  reason: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
}, { additionalProperties: false });

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'a retried POST with the same key (and body) answers the first outcome instead of creating a second event' })),
});

export const CancelBody = Type.Object({ reason: Type.Optional(Nullable(Type.String({ maxLength: 500 }))) });
export const OptOutBody = Type.Object({ eventId: Id }, { additionalProperties: false });
export const ReserveBody = Type.Object({ reservePct: Nullable(Type.Number({ minimum: 0, maximum: 100 })) }, { additionalProperties: false });

const GridEvent = Type.Object({
  eventId: Type.String(),
  kind: Type.Union(['VPP_DISPATCH', 'DEMAND_PEAK', 'STORM_WATCH', 'OUTAGE', 'CANCEL'].map((k) => Type.Literal(k))),
  scopeAssetId: Type.String(),
  targetMw: Nullable(Type.Number()),
  startMs: Type.Number(),
  endMs: Type.Number(),
  issuedBy: Type.String(),
  issuedAtMs: Type.Number(),
  cancelsEventId: Nullable(Type.String()),
  reason: Nullable(Type.String()),
  weatherCellIds: Type.Array(Type.String()),
});

const summaryFields = {
  event: GridEvent,
  status: Type.Union(['SCHEDULED', 'ACTIVE', 'ENDED', 'CANCELLED'].map((k) => Type.Literal(k))),
  cancelledBy: Nullable(Type.String()),
  allocatedKw: Type.Number(),
  shortfallKw: Type.Number(),
  sites: Type.Integer({ minimum: 0 }),
};
export const EventSummary = Type.Object(summaryFields, { $id: 'EventSummary' });

const Count = Type.Integer({ minimum: 0 });
export const EventDetail = Type.Object({
  ...summaryFields,
  dropped: Type.Array(Type.String()),
  fulfillment: Type.Object({
    targetKw: Nullable(Type.Number()),
    responseKw: Type.Number(),
    commands: Type.Object({ issued: Count, sent: Count, accepted: Count, rejected: Count, completed: Count, expired: Count }),
    deliveredSites: Count,
    targetedSites: Count,
    rejections: Type.Array(Type.Object({ siteId: Type.String(), commandId: Type.String(), reason: Nullable(Type.String()) })),
    samples: Type.Array(Type.Object({}, { additionalProperties: true })),
  }),
}, { $id: 'EventDetail' });

export const EventList = Type.Object({ events: Type.Array(Type.Ref('EventSummary')) });

export const SiteView = Type.Object({
  siteId: Type.String(),
  known: Type.Boolean(),
  reservePct: Nullable(Type.Number()),
  optedOutEventIds: Type.Array(Type.String()),
  events: Type.Array(Type.Object({
    eventId: Type.String(), kind: Type.String(), status: Type.String(), startMs: Type.Number(), endMs: Type.Number(),
    powerKw: Nullable(Type.Number()), optedOut: Type.Boolean(),
  })),
});

export const OptOutResult = Type.Object({ siteId: Type.String(), eventId: Type.String(), released: Type.Boolean() });
export const ReserveResult = Type.Object({ siteId: Type.String(), reservePct: Nullable(Type.Number()) });
export const Health = Type.Object({ ok: Type.Boolean(), role: Type.Optional(Type.String()), instanceId: Type.Optional(Type.String()) });
