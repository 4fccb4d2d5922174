/**
 * What `GRIDFLEET_ENV=production` refuses, as pure checks every service's parse*Config calls: a
 * development secret or default password, a secret left unset, a listener off loopback without
 * TLS, and Kafka brokers off loopback reached without TLS or without SASL. In development the same checks pass (the one-command experience keeps its
 * development secrets); in production each failing check adds one line to the config's problems,
 * so the service exits with CONFIG_INVALID listing them all (startup.ts).
 */
import { isIP } from 'node:net';

export const Environments = { development: 'development', production: 'production' } as const;
export type Environment = (typeof Environments)[keyof typeof Environments];

/**
 * Every secret or password the repository itself contains (source, users.json, docs): whoever
 * reads the repository knows them, so production accepts none of them, wherever they are set.
 */
export const PUBLISHED_SECRETS: ReadonlySet<string> = new Set([
  'gridfleet-development-secret-change-me',
  'dev-operator-token',
  'dev-viewer-token',
  'dev-customer-token',
  'ingest',
  'analyst',
  'forecast',
  'ingest-pw',
  'analyst-pw',
  'change-me',
]);

export const isLoopbackHost = (host: string): boolean => {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
};

export interface SecretCheck {
  /** The variable that sets it, named in the problem. */
  readonly name: string;
  /** The value after defaults; undefined when unset with no default. */
  readonly value: string | undefined;
  /** Whether the value came from the variable (false: a development default filled it in). */
  readonly wasSet: boolean;
}

/** In production a secret must be set, non-empty, and none the repository publishes. */
export const checkSecret = (env: Environment, problems: string[], c: SecretCheck): void => {
  if (env !== Environments.production) return;
  if (!c.wasSet || c.value === undefined || c.value === '') problems.push(`${c.name} is unset: production needs a secret of its own (development defaults are refused)`);
  else if (PUBLISHED_SECRETS.has(c.value)) problems.push(`${c.name} is a development secret or default password published in the repository`);
};

/**
 * A listener off loopback must serve TLS in production. `tls` is null when the service serves no
 * TLS of its own (then it stays on loopback, behind a TLS-terminating proxy).
 */
export const checkListener = (env: Environment, problems: string[], l: { readonly name: string; readonly host: string; readonly tls: boolean | null }): void => {
  if (env !== Environments.production || isLoopbackHost(l.host) || l.tls === true) return;
  problems.push(
    l.tls === null
      ? `${l.name}=${l.host} serves plain HTTP off loopback; this service serves no TLS of its own, so in production keep it on loopback behind a TLS proxy`
      : `${l.name}=${l.host} serves plain HTTP off loopback; production needs TLS there (set the service's TLS key and certificate files)`,
  );
};

/**
 * A ClickHouse login a service uses: production refuses the `default` user without a password
 * and any published password.
 */
export const checkClickhouseLogin = (env: Environment, problems: string[], l: { readonly userVar: string; readonly user: string; readonly passwordVar: string; readonly password: string; readonly passwordSet: boolean }): void => {
  if (env !== Environments.production) return;
  if (l.user === 'default' && l.password === '') problems.push(`${l.userVar}=default without a password: production refuses ClickHouse's default user without one`);
  checkSecret(env, problems, { name: l.passwordVar, value: l.password, wasSet: l.passwordSet });
};

/**
 * Brokers off loopback need TLS and SASL in production: without TLS every event and command (and,
 * with SASL PLAIN, the password) crosses the network in clear; without SASL the broker cannot tell
 * the services apart, so no ACL holds. On loopback (the embedded stack, a sidecar) both are allowed off.
 */
export const checkKafkaBrokers = (env: Environment, problems: string[], k: { readonly brokers: readonly string[]; readonly sasl: boolean; readonly ssl: boolean }): void => {
  if (env !== Environments.production) return;
  const remote = k.brokers.filter((b) => !isLoopbackHost(b.slice(0, b.lastIndexOf(':')) || b));
  if (remote.length === 0) return;
  const where = `KAFKA_BROKERS=${remote.join(',')} is off loopback`;
  if (!k.ssl) problems.push(`${where} without TLS: production needs KAFKA_SSL=1 (or KAFKA_SSL_CA_FILE), or every event${k.sasl ? ' and the SASL password' : ''} crosses the network in clear`);
  if (!k.sasl) problems.push(`${where} without SASL: production needs KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD, or no ACL can tell the services apart`);
};
