/**
 * What every provider adapter is, pure: the requests a poll makes at a given time and how their
 * JSON bodies become provider.forecasts.v1 records. The poller (provider-poller.ts) does the
 * fetching and publishing; adapters never touch the network, so each is tested on recorded
 * responses in the provider's own format (test/fixtures/providers/).
 */
import type { ProviderForecast } from '../../../platform/events.ts';
import { err, ok, type Result } from '../../../platform/result.ts';
import { ProviderShapeError } from './json-read.ts';

/** The quantities a provider record can carry, units in the names (the topic's `quantity`). */
export const Quantities = {
  carbon: 'carbonGPerKwh',
  marginalCarbon: 'marginalCarbonGPerKwh',
  temperature: 'temperatureC',
  cloud: 'cloudCoverPct',
  irradiance: 'irradianceWPerM2',
} as const;
export type Quantity = (typeof Quantities)[keyof typeof Quantities];

export interface ProviderRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface ProviderAdapter {
  /** provider.forecasts.v1 key: stable across polls. */
  readonly sourceId: string;
  readonly provider: string;
  /** The gridfleet area (grid region or weather cell) the records are for. */
  readonly areaId: string;
  /** Requests of one poll at nowMs (UTC epoch ms); their bodies reach parse in the same order. */
  requests(nowMs: number, auth: string | null): ProviderRequest[];
  /** A login request whose JSON yields a bearer token (WattTime); null when none is needed. */
  readonly login: { readonly request: ProviderRequest; token(body: unknown): string } | null;
  parse(bodies: readonly unknown[], fetchedAtMs: number): Result<ProviderForecast[], string>;
}

/** Runs a shape-reading parse, turning a ProviderShapeError into an error value with the source named. */
export const parsing = (sourceId: string, f: () => ProviderForecast[]): Result<ProviderForecast[], string> => {
  try {
    return ok(f());
  } catch (e) {
    if (e instanceof ProviderShapeError) return err(`${sourceId}: unexpected response: ${e.message}`);
    throw e;
  }
};

export const floorTo = (tMs: number, minutes: number): number => Math.floor(tMs / (minutes * 60_000)) * minutes * 60_000;

/** `2025-11-24T12:30Z`: the carbon-intensity API's path time format. */
export const isoMinute = (tMs: number): string => new Date(tMs).toISOString().slice(0, 16) + 'Z';
