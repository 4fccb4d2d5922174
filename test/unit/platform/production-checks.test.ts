import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../services/platform/config.ts';
import { isPlatformError } from '../../../services/platform/errors.ts';
import { parseListener } from '../../../services/platform/listener-config.ts';
import { checkClickhouseLogin, checkSecret, isLoopbackHost } from '../../../services/platform/production-checks.ts';
import { envReader } from '../../../services/platform/config.ts';
import { parseAll, startupFailureLines } from '../../../services/platform/startup.ts';
import { parseGatewayConfig } from '../../../services/operational/gateway/config.ts';
import { parseControlConfig } from '../../../services/operational/control/config.ts';

// Guards issue 19: development secrets failed open (a warning only), so anyone who read the
// repository could forge device credentials or dispatch megawatts in a deployment that forgot them.
const problemsOf = (f: () => unknown): readonly string[] => {
  try {
    f();
  } catch (e) {
    if (isPlatformError(e, 'CONFIG_INVALID')) return e.problems;
    throw e;
  }
  return [];
};

describe('production checks', () => {
  it('tells loopback from the network', () => {
    for (const h of ['127.0.0.1', '127.8.9.1', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'gateway.example.com', '128.0.0.1']) expect(isLoopbackHost(h)).toBe(false);
  });

  it('refuses unset, empty and published secrets only in production', () => {
    const p: string[] = [];
    checkSecret('production', p, { name: 'A', value: 'x', wasSet: false });
    checkSecret('production', p, { name: 'B', value: '', wasSet: true });
    checkSecret('production', p, { name: 'C', value: 'dev-operator-token', wasSet: true });
    checkSecret('production', p, { name: 'D', value: 'a-real-secret-of-its-own', wasSet: true });
    checkSecret('development', p, { name: 'E', value: 'dev-operator-token', wasSet: false });
    expect(p.map((l) => l.split(' ')[0])).toEqual(['A', 'B', 'C']);
  });

  it('refuses the ClickHouse default user without a password', () => {
    const p: string[] = [];
    checkClickhouseLogin('production', p, { userVar: 'U', user: 'default', passwordVar: 'P', password: '', passwordSet: false });
    expect(p.join('\n')).toMatch(/U=default without a password/);
  });

  it('refuses a listener off loopback without TLS in production', () => {
    const listen = (env: Record<string, string>, tlsCapable: boolean): string[] => {
      const p: string[] = [];
      parseListener(envReader(env, p), 'production', p, { prefix: 'X', defaultPort: 1, tlsCapable });
      return p;
    };
    expect(listen({}, false)).toEqual([]);
    expect(listen({ X_HOST: '0.0.0.0' }, false)[0]).toMatch(/X_HOST=0.0.0.0 serves plain HTTP off loopback/);
    expect(listen({ X_HOST: '0.0.0.0' }, true)[0]).toMatch(/production needs TLS/);
    expect(listen({ X_HOST: '0.0.0.0', X_TLS_KEY_FILE: 'k.pem', X_TLS_CERT_FILE: 'c.pem' }, true)).toEqual([]);
    expect(listen({ X_TLS_KEY_FILE: 'k.pem' }, true)[0]).toMatch(/go together/);
  });

  it('lists every problem of a service at once, platform and own, one line each', () => {
    const env = { GRIDFLEET_ENV: 'production', KAFKA_SASL_USERNAME: 'gw', KAFKA_SASL_PASSWORD: 'change-me', GATEWAY_HOST: '0.0.0.0' };
    const problems = problemsOf(() => parseGatewayConfig(env));
    expect(problems.some((l) => l.startsWith('KAFKA_SASL_PASSWORD'))).toBe(true);
    expect(problems.some((l) => l.startsWith('GATEWAY_TOKEN_SECRET is unset'))).toBe(true);
    expect(problems.some((l) => l.startsWith('OPERATOR_TOKEN is unset'))).toBe(true);
    expect(problems.some((l) => l.startsWith('GATEWAY_HOST=0.0.0.0'))).toBe(true);
    try {
      parseGatewayConfig(env);
    } catch (e) {
      const lines = startupFailureLines('gateway', e);
      expect(lines).toHaveLength(problems.length);
      for (const l of lines) expect(l).toMatch(/^CONFIG_INVALID gateway: /);
    }
  });

  it('keeps development as it was: defaults start, with no problem', () => {
    expect(problemsOf(() => parseGatewayConfig({}))).toEqual([]);
    expect(problemsOf(() => parseControlConfig({}))).toEqual([]);
    expect(parseConfig({}).environment).toBe('development');
  });

  it('treats an unknown GRIDFLEET_ENV as production and says so', () => {
    const problems = problemsOf(() => parseControlConfig({ GRIDFLEET_ENV: 'prod' }));
    expect(problems[0]).toMatch(/GRIDFLEET_ENV=prod must be development or production/);
    expect(problems.some((l) => l.startsWith('CONTROL_TOKENS is unset'))).toBe(true);
  });

  it('refuses control tokens published in the repository', () => {
    expect(problemsOf(() => parseControlConfig({ GRIDFLEET_ENV: 'production', CONTROL_TOKENS: 'operator:dev-operator-token' }))).toEqual([
      'CONTROL_TOKENS holds a development token published in the repository',
    ]);
    expect(problemsOf(() => parseControlConfig({ GRIDFLEET_ENV: 'production', CONTROL_TOKENS: 'operator:a-long-token-of-its-own' }))).toEqual([]);
  });

  it('parses SASL, TLS and registry credentials for the clients', () => {
    const c = parseConfig({ KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p', KAFKA_SSL_CA_FILE: '/ca.pem', REGISTRY_USERNAME: 'r', REGISTRY_PASSWORD: 's' });
    expect(c.kafkaSecurity).toEqual({ sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' }, ssl: { caFile: '/ca.pem' } });
    expect(c.registryAuth).toEqual({ username: 'r', password: 's' });
    expect(parseConfig({}).kafkaSecurity).toEqual({ sasl: null, ssl: null });
    expect(problemsOf(() => parseConfig({ KAFKA_SASL_USERNAME: 'u' }))).toEqual(['KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD go together']);
  });

  it('refuses brokers off loopback without TLS or SASL in production, and only there', () => {
    const sasl = { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'control', KAFKA_SASL_PASSWORD: 'a-password-of-its-own' };
    const kafkaLines = (env: Record<string, string>): readonly string[] => problemsOf(() => parseConfig({ GRIDFLEET_ENV: 'production', ...env })).filter((l) => l.startsWith('KAFKA_BROKERS'));
    expect(kafkaLines({ KAFKA_BROKERS: 'kafka-0.kafka:9092,127.0.0.1:9092', ...sasl })).toEqual([
      'KAFKA_BROKERS=kafka-0.kafka:9092 is off loopback without TLS: production needs KAFKA_SSL=1 (or KAFKA_SSL_CA_FILE), or every event and the SASL password crosses the network in clear',
    ]);
    expect(kafkaLines({ KAFKA_BROKERS: '10.0.0.5:9093', KAFKA_SSL: '1' })).toEqual([
      'KAFKA_BROKERS=10.0.0.5:9093 is off loopback without SASL: production needs KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD, or no ACL can tell the services apart',
    ]);
    expect(kafkaLines({ KAFKA_BROKERS: 'kafka:9093', KAFKA_SSL_CA_FILE: '/ca.pem', ...sasl })).toEqual([]);
    // Loopback (the embedded stack, a sidecar) and development are as they were.
    expect(kafkaLines({ KAFKA_BROKERS: '127.0.0.1:9092,localhost:9093' })).toEqual([]);
    expect(problemsOf(() => parseConfig({ KAFKA_BROKERS: 'kafka:9092' }))).toEqual([]);
  });

  it('merges the problems of several parsers', () => {
    const problems = problemsOf(() => parseAll(() => parseConfig({ GRIDFLEET_ENV: 'production', REDIS_URL: 'redis://u:analyst@h:1' }), () => parseControlConfig({ GRIDFLEET_ENV: 'production' })));
    expect(problems.filter((l) => l.includes('REDIS_URL'))).toHaveLength(1);
    expect(problems.some((l) => l.startsWith('CONTROL_TOKENS is unset'))).toBe(true);
  });
});
