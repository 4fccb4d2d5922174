/**
 * Battery physics. Power is at the AC terminals: positive discharges (into the house or grid),
 * negative charges. The round-trip efficiency is split evenly: one-way efficiency sqrt(RTE) on each
 * side, so charging E kWh from the grid stores E*sqrt(RTE) and discharging it delivers
 * E*RTE. The step honours the power limits first, then the energy limits (0..100 %), so the
 * returned actualKw is what the battery really did over the whole step.
 */
export interface BatterySpec {
  readonly batteryKwh: number;
  readonly maxChargeKw: number;
  readonly maxDischargeKw: number;
  /** Round-trip efficiency, 0 < rte <= 1. */
  readonly roundTripEfficiency: number;
}

export interface BatteryState {
  readonly socPct: number;
}

export interface BatteryStep {
  readonly socPct: number;
  readonly actualKw: number;
}

export const oneWayEfficiency = (spec: Pick<BatterySpec, 'roundTripEfficiency'>): number => Math.sqrt(spec.roundTripEfficiency);

/**
 * The AC power limits of a step of dtMs from socPct, with the energy kept between floorPct and
 * ceilingPct: [-charge, +discharge], both >= 0.
 */
export const powerBounds = (spec: BatterySpec, socPct: number, dtMs: number, floorPct = 0, ceilingPct = 100): { maxChargeKw: number; maxDischargeKw: number } => {
  const hours = dtMs / 3_600_000;
  if (hours <= 0) return { maxChargeKw: 0, maxDischargeKw: 0 };
  const eta = oneWayEfficiency(spec);
  const aboveFloorKwh = Math.max(0, ((socPct - floorPct) / 100) * spec.batteryKwh);
  const belowCeilingKwh = Math.max(0, ((ceilingPct - socPct) / 100) * spec.batteryKwh);
  return {
    maxDischargeKw: Math.min(spec.maxDischargeKw, (aboveFloorKwh * eta) / hours),
    maxChargeKw: Math.min(spec.maxChargeKw, belowCeilingKwh / eta / hours),
  };
};

/** Advance the battery by dtMs at requestedKw (+discharge / -charge), clamped to what is possible. */
export const stepBattery = (state: BatteryState, spec: BatterySpec, requestedKw: number, dtMs: number): BatteryStep => {
  const hours = dtMs / 3_600_000;
  if (hours <= 0 || !Number.isFinite(requestedKw)) return { socPct: state.socPct, actualKw: 0 };
  const bounds = powerBounds(spec, state.socPct, dtMs);
  const actualKw = Math.min(bounds.maxDischargeKw, Math.max(-bounds.maxChargeKw, requestedKw));
  const eta = oneWayEfficiency(spec);
  const storedDeltaKwh = actualKw >= 0 ? -(actualKw * hours) / eta : -actualKw * hours * eta;
  const socPct = Math.min(100, Math.max(0, state.socPct + (storedDeltaKwh / spec.batteryKwh) * 100));
  return { socPct, actualKw };
};

/** grid = load - solar - battery: positive imports, negative exports (kW). */
export const siteBalance = (flows: { readonly loadKw: number; readonly solarKw: number; readonly batteryKw: number }): number =>
  flows.loadKw - flows.solarKw - flows.batteryKw;
