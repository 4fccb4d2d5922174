import { describe, expect, it } from 'vitest';
import type { AvroCodec } from '../../../../services/platform/avro-codec.ts';
import { manualClock } from '../../../../services/platform/clock.ts';
import type { AssetDefinition, AssetState, CommandAck, CustomerChoices, GridEvent, SiteCommand } from '../../../../services/platform/events.ts';
import type { Producer } from '../../../../services/platform/kafka.ts';
import { createLogger } from '../../../../services/platform/logger.ts';
import { ok } from '../../../../services/platform/result.ts';
import { TopicNames } from '../../../../services/platform/topics.ts';
import type { Principal } from '../../../../services/operational/control/auth.ts';
import { createControlService } from '../../../../services/operational/control/control-service.ts';
import { applyAck, applyCommand, applyGridEvent, applySiteState, createEventBook } from '../../../../services/operational/control/event-book.ts';
import { applyDefinition, applyState, createReadModel, sitesUnder } from '../../../../services/operational/control/read-model.ts';
import { commandWriterOver } from '../../../../services/operational/control/command-writer.ts';
import { createTopicWriter } from '../../../../services/platform/topic-writer.ts';
import { createScopeIndex } from '../../../../services/operational/control/scope-index.ts';

const T0 = 1_764_000_000_000;
const operator: Principal = { role: 'operator', name: 'operator:alice', siteId: null };
const customer = (siteId: string): Principal => ({ role: 'customer', name: `customer:${siteId}`, siteId });

const def = (assetId: string, kind: AssetDefinition['kind'], parentId: string | null, extra: Partial<AssetDefinition> = {}): AssetDefinition => ({
  assetId, kind, parentId, name: assetId, latitudeDeg: null, longitudeDeg: null, weatherCellId: null, gridRegionId: null, solarKwp: 6, batteryKwh: null,
  maxChargeKw: 5, maxDischargeKw: 5, backupReservePct: 20, customerId: null, updatedAtMs: T0, deleted: false, credentialsRevokedBeforeMs: null, ...extra,
});
const state = (assetId: string, version: number, extra: Partial<AssetState> = {}, batteryKw = 0): AssetState => ({
  assetId, kind: 'SITE', version, updatedAtMs: T0 + version, lastSeenMs: T0, online: true, socPct: 90, mode: 'SELF_CONSUMPTION', alarms: [], activeCommandIds: [],
  aggregate: { availableEnergyKwh: 9, chargeHeadroomKw: 5, dischargeHeadroomKw: 5, solarKw: 0, loadKw: 1, gridKw: 1, batteryKw, onlineCount: 1, deviceCount: 1, alarmCount: 0 },
  lastSeq: null, ...extra,
});

const setup = (failCommandSends = 0) => {
  const sent: Array<{ topic: string; value: unknown }> = [];
  let failures = failCommandSends;
  const producer: Producer = {
    send: (topic, messages) => {
      if (topic === TopicNames.controlCommands && failures > 0) {
        failures--;
        return Promise.reject(new Error('KAFKA_PRODUCE_FAILED'));
      }
      for (const m of messages) sent.push({ topic, value: JSON.parse((m.value ?? Buffer.alloc(0)).toString()) });
      return Promise.resolve([]);
    },
    disconnect: () => Promise.resolve(),
  };
  const codec = {
    encode: (_t: string, v: unknown) => Promise.resolve(Buffer.from(JSON.stringify(v))),
    decode: (_t: string, b: Buffer) => Promise.resolve(ok(JSON.parse(b.toString()) as never)),
    encodeSync: (_t: string, v: unknown) => Buffer.from(JSON.stringify(v)),
    prepare: () => Promise.resolve(),
    registerAll: () => Promise.resolve({}),
  } as AvroCodec;
  const model = createReadModel();
  const book = createEventBook();
  applyDefinition(model, 'feeder-1', def('feeder-1', 'FEEDER', null));
  for (const s of ['site-a', 'site-b', 'site-c']) {
    applyDefinition(model, s, def(s, 'SITE', 'feeder-1'));
    applyDefinition(model, `${s}-dev`, def(`${s}-dev`, 'DEVICE', s));
    applyState(model, s, state(s, 1));
  }
  const clock = manualClock(T0);
  let n = 0;
  let leader = true;
  const svc = createControlService({ writer: createTopicWriter({ producer, codec }), commands: commandWriterOver(createTopicWriter({ producer, codec }), 'test'), clock, newId: () => String(++n), logger: createLogger('silent'), model, scopes: createScopeIndex(model), book, isLeader: () => leader, minDeliveryMs: 5_000 });
  /** A site state as control's feed applies it: to the read model and to the book. */
  const siteState = (s: AssetState): void => {
    applyState(model, s.assetId, s);
    applySiteState(book, s, 60_000);
  };
  const setLeader = (v: boolean): void => {
    leader = v;
  };
  const commands = () => sent.filter((s) => s.topic === TopicNames.controlCommands).map((s) => s.value as SiteCommand);
  const events = () => sent.filter((s) => s.topic === TopicNames.gridEvents).map((s) => s.value as GridEvent);
  const choices = () => sent.filter((s) => s.topic === TopicNames.controlChoices).map((s) => s.value as CustomerChoices);
  return { svc, sent, model, book, clock, commands, events, choices, siteState, setLeader };
};

describe('control service', () => {
  it('finds the sites of a subtree and ignores an older state version', () => {
    const { model } = setup();
    expect(sitesUnder(model, 'feeder-1')).toEqual(['site-a', 'site-b', 'site-c']);
    applyState(model, 'site-a', state('site-a', 0, { online: false }));
    expect(model.states.get('site-a')?.online).toBe(true);
  });

  it('publishes the event first, then one command per site, and tracks acks and measured response', async () => {
    const { svc, sent, book, commands } = setup();
    const r = await svc.createEvent(operator, { kind: 'VPP_DISPATCH', scopeAssetId: 'feeder-1', targetMw: 0.009, durationMin: 60 });
    if (!r.ok) throw new Error(r.error.message);
    expect(sent[0]?.topic).toBe(TopicNames.gridEvents);
    expect((sent[0]?.value as GridEvent).issuedBy).toBe('operator:alice');
    expect(commands().map((c) => [c.siteId, c.kind, c.powerKw])).toEqual([['site-a', 'DISCHARGE', 3], ['site-b', 'DISCHARGE', 3], ['site-c', 'DISCHARGE', 3]]);
    expect(r.value.allocatedKw).toBe(9);
    const id = r.value.event.eventId;
    for (const c of commands()) applyAck(book, { commandId: c.commandId, siteId: c.siteId, deviceId: `${c.siteId}-dev`, status: 'ACCEPTED', reason: null, ackedAtMs: T0 + 5 });
    for (const s of ['site-a', 'site-b', 'site-c']) applySiteState(book, state(s, 2, {}, 2.5), 60_000);
    const v = svc.event(id);
    expect(v?.fulfillment.commands.accepted).toBe(3);
    expect(v?.fulfillment.deliveredSites).toBe(3);
    expect(v?.fulfillment.responseKw).toBeCloseTo(7.5);
    // Reading its own records back from Kafka changes nothing.
    for (const c of commands()) applyCommand(book, c);
    expect(svc.event(id)?.fulfillment.commands.issued).toBe(3);
  });

  it('allocates an event whose commands failed to publish on the next re-allocation pass', async () => {
    const { svc, book, commands, events } = setup(1);
    await expect(svc.createEvent(operator, { kind: 'OUTAGE', scopeAssetId: 'feeder-1', durationMin: 30 })).rejects.toThrow('KAFKA_PRODUCE_FAILED');
    expect(events().length).toBe(1);
    expect(commands()).toEqual([]);
    expect(await svc.reallocateDropouts()).toBe(3);
    expect(commands().map((c) => c.kind)).toEqual(['HOLD_RESERVE', 'HOLD_RESERVE', 'HOLD_RESERVE']);
    expect([...book.events.values()][0]?.round).toBe(1);
    expect(await svc.reallocateDropouts()).toBe(0);
  });

  it('refuses an unknown scope and a bad request without publishing anything', async () => {
    const { svc, sent } = setup();
    const a = await svc.createEvent(operator, { kind: 'VPP_DISPATCH', scopeAssetId: 'nowhere', targetMw: 1, durationMin: 60 });
    const b = await svc.createEvent(operator, { kind: 'VPP_DISPATCH', scopeAssetId: 'feeder-1', durationMin: 60 });
    expect(a.ok ? '' : a.error.code).toBe('UNKNOWN_SCOPE');
    expect(b.ok ? '' : b.error.code).toBe('INVALID_EVENT');
    expect(sent).toEqual([]);
  });

  it('re-allocates when a site rejects or goes offline, and a customer opt-out releases the site', async () => {
    const { svc, book, commands, choices, siteState } = setup();
    const r = await svc.createEvent(operator, { kind: 'VPP_DISPATCH', scopeAssetId: 'feeder-1', targetMw: 0.009, durationMin: 60 });
    if (!r.ok) throw new Error(r.error.message);
    const id = r.value.event.eventId;
    const rejectA: CommandAck = { commandId: `${id}.0.site-a`, siteId: 'site-a', deviceId: 'site-a-dev', status: 'REJECTED', reason: 'unsafe', ackedAtMs: T0 };
    applyAck(book, rejectA);
    expect(await svc.reallocateDropouts()).toBeGreaterThan(0);
    expect(svc.event(id)?.dropped).toEqual(['site-a']);
    expect(svc.event(id)?.allocatedKw).toBeCloseTo(9);
    expect(await svc.reallocateDropouts()).toBe(0);
    siteState(state('site-b', 3, { online: false }));
    await svc.reallocateDropouts();
    // Only site-c is left: it gives its 5 kW limit, the rest is shortfall.
    expect(svc.event(id)?.allocatedKw).toBeCloseTo(5);
    expect(svc.event(id)?.shortfallKw).toBeCloseTo(4, 2);
    // site-b comes back online: it is back in, and the target is met again.
    siteState(state('site-b', 4));
    const beforeBack = commands().length;
    expect(await svc.reallocateDropouts()).toBeGreaterThan(0);
    expect(svc.event(id)?.dropped).toEqual(['site-a']);
    expect(svc.event(id)?.allocatedKw).toBeCloseTo(9);
    expect(commands().slice(beforeBack).some((c) => c.siteId === 'site-b' && c.kind === 'DISCHARGE')).toBe(true);
    expect(await svc.reallocateDropouts()).toBe(0);
    const before = commands().length;
    const o = await svc.optOut(customer('site-c'), 'site-c', id);
    expect(o.ok && o.value.released).toBe(true);
    // site-c is released; site-b takes what it can of its share (its 5 kW limit).
    expect(commands().slice(before).map((c) => [c.siteId, c.kind, c.powerKw])).toEqual([['site-b', 'RELEASE', 0], ['site-c', 'RELEASE', 0], ['site-b', 'DISCHARGE', 5]]);
    expect(svc.site('site-c').optedOutEventIds).toEqual([id]);
    // The choice was stored on control.choices.v1 before it was applied, by whom.
    expect(choices().at(-1)).toMatchObject({ siteId: 'site-c', reservePct: null, optedOutEventIds: [id], updatedBy: 'customer:site-c' });
  });

  it('cancel publishes a CANCEL event and releases every site; a second cancel is refused', async () => {
    const { svc, commands, events } = setup();
    const r = await svc.createEvent(operator, { kind: 'STORM_WATCH', scopeAssetId: 'feeder-1', durationMin: 600 });
    if (!r.ok) throw new Error(r.error.message);
    expect(commands().map((c) => [c.kind, c.reservePct])).toEqual([['HOLD_RESERVE', 100], ['HOLD_RESERVE', 100], ['HOLD_RESERVE', 100]]);
    const c = await svc.cancelEvent(operator, r.value.event.eventId, 'all clear');
    expect(c.ok && c.value.status).toBe('CANCELLED');
    expect(events().map((e) => [e.kind, e.cancelsEventId])).toEqual([['STORM_WATCH', null], ['CANCEL', r.value.event.eventId]]);
    expect(commands().slice(3).map((x) => x.kind)).toEqual(['RELEASE', 'RELEASE', 'RELEASE']);
    const again = await svc.cancelEvent(operator, r.value.event.eventId, null);
    expect(again.ok ? '' : again.error.code).toBe('ALREADY_CANCELLED');
  });

  it('a customer reserve re-allocates active discharge events touching the site', async () => {
    const { svc, commands, choices } = setup();
    const r = await svc.createEvent(operator, { kind: 'VPP_DISPATCH', scopeAssetId: 'feeder-1', targetMw: 0.015, durationMin: 60 });
    if (!r.ok) throw new Error(r.error.message);
    await svc.setReserve(customer('site-b'), 'site-b', 95);
    expect(choices()).toEqual([{ siteId: 'site-b', reservePct: 95, optedOutEventIds: [], updatedAtMs: T0, updatedBy: 'customer:site-b' }]);
    const last = commands().filter((c) => c.siteId === 'site-b').at(-1);
    expect(last?.kind).toBe('RELEASE');
    expect(svc.site('site-b').reservePct).toBe(95);
    expect((await svc.setReserve(customer('site-b'), 'site-b', 140)).ok).toBe(false);
    expect(choices()).toHaveLength(1);
  });

  it('rebuilds the same book from records in any order: a CANCEL read before its event still cancels it', () => {
    const book = createEventBook();
    const e: GridEvent = { eventId: 'evt-x', kind: 'OUTAGE', scopeAssetId: 'feeder-1', targetMw: null, startMs: T0, endMs: T0 + 1000, issuedBy: 'operator:bob', issuedAtMs: T0, cancelsEventId: null, reason: null, weatherCellIds: [] };
    applyGridEvent(book, { ...e, eventId: 'evt-y', kind: 'CANCEL', cancelsEventId: 'evt-x' });
    applyAck(book, { commandId: 'evt-x.0.site-a', siteId: 'site-a', deviceId: 'd', status: 'ACCEPTED', reason: null, ackedAtMs: T0 });
    // Regression: commands read before their event (another topic) were dropped on restart.
    applyCommand(book, { commandId: 'evt-x.0.site-a', eventId: 'evt-x', siteId: 'site-a', kind: 'HOLD_RESERVE', powerKw: 0, reservePct: 20, startMs: T0, endMs: T0 + 1000, expiresAtMs: T0 + 1000, issuedAtMs: T0 });
    applyGridEvent(book, e);
    const entry = book.events.get('evt-x');
    expect(entry?.cancelledBy).toBe('operator:bob');
    expect(entry?.fulfillment.commands.get('evt-x.0.site-a')?.status).toBe('ACCEPTED');
    expect(entry?.round).toBe(1);
  });

  it('refuses a window that ends before its commands could be delivered, also when the event write outlasted it (CTRL_WINDOW_ENDED)', async () => {
    const { svc, sent, commands, clock, book } = setup();
    const soon = await svc.createEvent(operator, { kind: 'VPP_DISPATCH', scopeAssetId: 'feeder-1', targetMw: 0.009, startMs: T0, endMs: T0 + 3_000 });
    expect(soon.ok ? '' : soon.error.code).toBe('CTRL_WINDOW_ENDED');
    expect(sent).toEqual([]);
    // A request that hung while Kafka was down: the event write returns after the window is over.
    const hanging = setup();
    const slow = hanging.svc;
    const original = hanging.sent.push.bind(hanging.sent);
    hanging.sent.push = (...items) => {
      if (items.some((i) => i.topic === TopicNames.gridEvents)) hanging.clock.advance(10 * 60_000);
      return original(...items);
    };
    const late = await slow.createEvent(operator, { kind: 'VPP_DISPATCH', scopeAssetId: 'feeder-1', targetMw: 0.009, durationMin: 5 });
    expect(late.ok ? '' : late.error.code).toBe('CTRL_WINDOW_ENDED');
    expect(late.ok ? '' : late.error.message).toMatch(/too soon for its commands/);
    expect(hanging.commands()).toEqual([]);
    // ...and the re-allocation pass does not allocate it later either.
    expect(await slow.reallocateDropouts()).toBe(0);
    expect(commands()).toEqual([]);
    expect(clock.now()).toBe(T0);
    expect(book.events.size).toBe(0);
  });

  it('a standby refuses mutations with CTRL_NOT_LEADER and does not re-allocate', async () => {
    const { svc, sent, setLeader } = setup();
    setLeader(false);
    const r = await svc.createEvent(operator, { kind: 'OUTAGE', scopeAssetId: 'feeder-1', durationMin: 30 });
    expect(r.ok ? '' : r.error.code).toBe('CTRL_NOT_LEADER');
    expect(await svc.reallocateDropouts()).toBe(0);
    expect(sent).toEqual([]);
  });

  it('takes over a round the old leader cut short: only the sites it did not reach get commands, with the same round, over the rest of the target', async () => {
    // Regression: a leader killed mid-write left part of the fleet without commands, and a
    // new leader that re-allocated from scratch would send the reached sites a second one.
    const { svc, book, commands } = setup();
    const e: GridEvent = { eventId: 'evt-old', kind: 'VPP_DISPATCH', scopeAssetId: 'feeder-1', targetMw: 0.009, startMs: T0, endMs: T0 + 3_600_000, issuedBy: 'operator:bob', issuedAtMs: T0, cancelsEventId: null, reason: null, weatherCellIds: [] };
    applyGridEvent(book, e);
    // The old leader wrote site-a's 3 kW only.
    applyCommand(book, { commandId: 'evt-old.0.site-a', eventId: 'evt-old', siteId: 'site-a', kind: 'DISCHARGE', powerKw: 3, reservePct: null, startMs: T0, endMs: e.endMs, expiresAtMs: e.endMs, issuedAtMs: T0 });
    expect(await svc.takeOver()).toBe(2);
    expect(commands().map((c) => [c.commandId, c.powerKw])).toEqual([['evt-old.0.site-b', 3], ['evt-old.0.site-c', 3]]);
    expect(svc.event('evt-old')?.allocatedKw).toBeCloseTo(9);
    // A second takeover (leadership flapped) finds nothing left to do.
    expect(await svc.takeOver()).toBe(0);
  });

  it('a site state touches only the events the site is in', () => {
    // Regression: applySiteState scanned every event in the book for every site state.
    const book = createEventBook();
    const ev = (id: string): GridEvent => ({ eventId: id, kind: 'VPP_DISPATCH', scopeAssetId: 'f', targetMw: 1, startMs: T0, endMs: T0 + 3_600_000, issuedBy: 'op', issuedAtMs: T0, cancelsEventId: null, reason: null, weatherCellIds: [] });
    for (let i = 0; i < 1000; i++) applyGridEvent(book, ev(`evt-${i}`));
    const cmd = (eventId: string, siteId: string): SiteCommand => ({ commandId: `${eventId}.0.${siteId}`, eventId, siteId, kind: 'DISCHARGE', powerKw: 1, reservePct: null, startMs: T0, endMs: T0 + 3_600_000, expiresAtMs: T0 + 3_600_000, issuedAtMs: T0 });
    applyCommand(book, cmd('evt-7', 'site-a'));
    expect(book.bySite.get('site-a')?.map((x) => x.event.eventId)).toEqual(['evt-7']);
    applySiteState(book, state('site-a', 2, { online: false }, 2), 60_000);
    const f = book.events.get('evt-7')?.fulfillment;
    expect(f?.responseKw).toBeCloseTo(2);
    expect([...(f?.offlineSites ?? [])]).toEqual(['site-a']);
    // After the event is over, the site's index entry goes.
    applySiteState(book, { ...state('site-a', 3), updatedAtMs: T0 + 7_200_000 }, 60_000);
    expect(book.bySite.has('site-a')).toBe(false);
  });
});
