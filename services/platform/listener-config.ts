/**
 * Where a service listens: `<PREFIX>_HOST` (default 127.0.0.1, so nothing is reachable from the
 * network until someone decides it should be) and `<PREFIX>_PORT`, plus, for the services that
 * serve TLS themselves, `<PREFIX>_TLS_KEY_FILE` and `<PREFIX>_TLS_CERT_FILE` (PEM) and optionally
 * `<PREFIX>_TLS_CLIENT_CA_FILE` (client certificates signed by it are asked for). In production a
 * listener off loopback without TLS is refused (production-checks.ts).
 */
import { checkListener, type Environment } from './production-checks.ts';

export interface TlsFiles {
  readonly keyFile: string;
  readonly certFile: string;
  /** Clients may present a certificate signed by this CA (mutual TLS); null: none are asked for. */
  readonly clientCaFile: string | null;
  /**
   * With a client CA: true, a client without a valid certificate fails the handshake; false (the
   * gateway), any client completes it and the service decides what a certificate means. Default true.
   */
  readonly clientCertRequired?: boolean;
}

export interface Listener {
  readonly host: string;
  readonly port: number;
  /** Null: plain HTTP. */
  readonly tls: TlsFiles | null;
}

export interface ListenerSpec {
  readonly prefix: string;
  readonly defaultPort: number;
  /** Whether the service can serve TLS itself; when not, TLS variables are not read. */
  readonly tlsCapable: boolean;
  /** The port variable when it is not `<PREFIX>_PORT` (e.g. INGEST_METRICS_PORT). */
  readonly portVar?: string;
  /** The lowest port accepted (default 0: any free port; -1 where a service may run without a listener). */
  readonly minPort?: number;
  /** With a client CA, whether the handshake requires a certificate (default) or the service judges it per request. */
  readonly clientCerts?: 'required' | 'optional';
}

export const parseListener = (
  reader: { get: (name: string) => string | undefined; int: (name: string, dflt: number, min: number, max: number) => number },
  environment: Environment,
  problems: string[],
  spec: ListenerSpec,
): Listener => {
  const hostVar = `${spec.prefix}_HOST`;
  const host = reader.get(hostVar) ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) problems.push(`${hostVar}=${host} must be a host name or an IP address`);
  const port = reader.int(spec.portVar ?? `${spec.prefix}_PORT`, spec.defaultPort, spec.minPort ?? 0, 65535);
  let tls: TlsFiles | null = null;
  if (spec.tlsCapable) {
    const keyFile = reader.get(`${spec.prefix}_TLS_KEY_FILE`);
    const certFile = reader.get(`${spec.prefix}_TLS_CERT_FILE`);
    const clientCaFile = reader.get(`${spec.prefix}_TLS_CLIENT_CA_FILE`) ?? null;
    if ((keyFile === undefined) !== (certFile === undefined)) problems.push(`${spec.prefix}_TLS_KEY_FILE and ${spec.prefix}_TLS_CERT_FILE go together`);
    else if (keyFile !== undefined && certFile !== undefined) tls = Object.freeze({ keyFile, certFile, clientCaFile, clientCertRequired: spec.clientCerts !== 'optional' });
    if (clientCaFile !== null && tls === null) problems.push(`${spec.prefix}_TLS_CLIENT_CA_FILE needs ${spec.prefix}_TLS_KEY_FILE and ${spec.prefix}_TLS_CERT_FILE`);
  }
  checkListener(environment, problems, { name: hostVar, host, tls: spec.tlsCapable ? tls !== null : null });
  return Object.freeze({ host, port, tls });
};
