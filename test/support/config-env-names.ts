/**
 * Which environment variables each service's config parser reads: the parser is run on an
 * environment that records every name asked of it. So a manifest or compose file that sets a
 * variable no parser reads (a typo, a renamed setting) can be caught by a test.
 */
import { parseConfig } from '../../services/platform/config.ts';
import { parseIngestConfig } from '../../services/analytics/ingest/config.ts';
import { parseForecastConfig } from '../../services/analytics/forecast/forecast-config.ts';
import { parseProviderConfig } from '../../services/analytics/forecast/providers/provider-config.ts';
import { parseConsoleConfig } from '../../services/console/config.ts';
import { parseAssetsConfig } from '../../services/operational/assets/config.ts';
import { parseControlConfig } from '../../services/operational/control/config.ts';
import { parseGatewayConfig } from '../../services/operational/gateway/config.ts';

type Parser = (env: Readonly<Record<string, string | undefined>>) => unknown;

export const namesRead = (parse: Parser): Set<string> => {
  const seen = new Set<string>();
  const env = new Proxy({}, {
    get: (_t, k) => {
      if (typeof k === 'string') seen.add(k);
      return undefined;
    },
    has: (_t, k) => {
      if (typeof k === 'string') seen.add(k);
      return false;
    },
  });
  try {
    parse(env);
  } catch {
    // A parser that refuses an empty environment (production mode) has still asked for its names.
  }
  return seen;
};

const PARSERS: Readonly<Record<string, readonly Parser[]>> = {
  gateway: [parseConfig, parseGatewayConfig],
  assets: [parseConfig, parseAssetsConfig],
  control: [parseConfig, parseControlConfig],
  ingest: [parseConfig, parseIngestConfig],
  forecast: [parseConfig, parseForecastConfig, parseProviderConfig],
  console: [parseConfig, parseConsoleConfig],
  stack: [parseConfig],
};

/** The names a service (by its command in the image: `gateway`, `forecast`, ...) reads. */
export const serviceEnvNames = (service: string): Set<string> | undefined => {
  const parsers = PARSERS[service];
  if (parsers === undefined) return undefined;
  return new Set(parsers.flatMap((p) => [...namesRead(p)]));
};
