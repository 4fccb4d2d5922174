/**
 * The embedded schema registry's configuration, parsed once from the environment on top of the
 * platform's: where it listens. REGISTRY_HOST defaults to 127.0.0.1; it serves plain HTTP, so in
 * production it stays on loopback (behind a TLS proxy when others must reach it).
 */
import { envReader, parseEnvironment, parsePlatformInto, type Config, type Env } from '../../platform/config.ts';
import { readFileSync } from 'node:fs';
import { configInvalid } from '../../platform/errors.ts';
import { parseRegistryUsers, type RegistryUsers } from './registry-auth.ts';
import { parseListener } from '../../platform/listener-config.ts';

export interface RegistryServerConfig {
  readonly platform: Config;
  /** REGISTRY_HOST, default 127.0.0.1. */
  readonly host: string;
  /** REGISTRY_PORT, default 8081. */
  readonly port: number;
  /** REGISTRY_USERS_FILE (registry-auth.ts; the secured stack writes one): basic auth with read and write roles. Default none: open. */
  readonly users: RegistryUsers | null;
}

export const parseRegistryServerConfig = (env: Env): RegistryServerConfig => {
  const problems: string[] = [];
  const platform = parsePlatformInto(env, problems);
  const listener = parseListener(envReader(env, problems), parseEnvironment(env, []), problems, { prefix: 'REGISTRY', defaultPort: 8081, tlsCapable: false });
  const usersFile = env['REGISTRY_USERS_FILE']?.trim() || undefined;
  let users: RegistryUsers | null = null;
  if (usersFile !== undefined) {
    try {
      const parsed = parseRegistryUsers(JSON.parse(readFileSync(usersFile, 'utf8')));
      if (parsed.ok) users = parsed.value;
      else problems.push(`REGISTRY_USERS_FILE=${usersFile}: ${parsed.error}`);
    } catch (e) {
      problems.push(`REGISTRY_USERS_FILE=${usersFile} cannot be read as JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (problems.length > 0 || platform === undefined) throw configInvalid('Registry', problems);
  return Object.freeze({ platform, host: listener.host, port: listener.port, users });
};
