/**
 * Retail tariffs as pure functions of time. The edge planner minimises import cost under one of
 * these; a time-of-use tariff with an evening peak is the common case it is tuned for.
 */
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface Tariff {
  /** Price of a kWh bought from the grid at tMs (currency units). */
  importPerKwh(tMs: number): number;
  /** Price paid for a kWh exported at tMs. */
  exportPerKwh(tMs: number): number;
}

export interface TouTariffParams {
  /** Default 0.15. */
  readonly offPeakPerKwh: number;
  /** Default 0.45. */
  readonly peakPerKwh: number;
  /** Local hour the peak starts, default 17. */
  readonly peakStartHour: number;
  /** Local hour the peak ends, default 21. */
  readonly peakEndHour: number;
  /** Default 0.05. */
  readonly exportPerKwh: number;
  /** Local time = UTC + this, default 0. */
  readonly utcOffsetHours: number;
}

export const DEFAULT_TOU: TouTariffParams = Object.freeze({
  offPeakPerKwh: 0.15, peakPerKwh: 0.45, peakStartHour: 17, peakEndHour: 21, exportPerKwh: 0.05, utcOffsetHours: 0,
});

export const localHour = (tMs: number, utcOffsetHours: number): number => {
  const local = tMs + utcOffsetHours * HOUR_MS;
  return (((local % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
};

/** A time-of-use tariff: peak price every day between the local peak hours, off-peak otherwise. */
export const touTariff = (params: Partial<TouTariffParams> = {}): Tariff & { readonly params: TouTariffParams } => {
  const p: TouTariffParams = { ...DEFAULT_TOU, ...params };
  const inPeak = (tMs: number): boolean => {
    const h = localHour(tMs, p.utcOffsetHours);
    return p.peakStartHour <= p.peakEndHour ? h >= p.peakStartHour && h < p.peakEndHour : h >= p.peakStartHour || h < p.peakEndHour;
  };
  return {
    params: p,
    importPerKwh: (tMs) => (inPeak(tMs) ? p.peakPerKwh : p.offPeakPerKwh),
    exportPerKwh: () => p.exportPerKwh,
  };
};

/** Cost of a grid flow held for `hours` (gridKw > 0 imports, < 0 exports earns). */
export const gridCost = (tariff: Tariff, tMs: number, gridKw: number, hours: number): number =>
  gridKw >= 0 ? gridKw * hours * tariff.importPerKwh(tMs) : gridKw * hours * tariff.exportPerKwh(tMs);
