/**
 * Certificates a test makes for itself (openssl, from Debian's base system): a CA, a server
 * certificate for 127.0.0.1 and localhost, and a client certificate, all signed by the CA; and a
 * GET over HTTPS that trusts that CA (Node's fetch cannot be given a CA per request).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  readonly dir: string;
  readonly caFile: string;
  readonly keyFile: string;
  readonly certFile: string;
  readonly clientKeyFile: string;
  readonly clientCertFile: string;
  readonly ca: Buffer;
  readonly clientKey: Buffer;
  readonly clientCert: Buffer;
}

const openssl = (args: readonly string[], cwd: string): void => {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
};

export const makeTestPki = (): TestPki => {
  const dir = mkdtempSync(join(tmpdir(), 'gridfleet-pki-'));
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=gridfleet test CA', '-keyout', 'ca.key', '-out', 'ca.pem'], dir);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr'], dir);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server.pem'], dir);
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=site-0001', '-keyout', 'client.key', '-out', 'client.csr'], dir);
  openssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'client.ext', '-out', 'client.pem'], dir);
  const f = (n: string): string => join(dir, n);
  return {
    dir, caFile: f('ca.pem'), keyFile: f('server.key'), certFile: f('server.pem'), clientKeyFile: f('client.key'), clientCertFile: f('client.pem'),
    ca: readFileSync(f('ca.pem')), clientKey: readFileSync(f('client.key')), clientCert: readFileSync(f('client.pem')),
  };
};

export interface TlsClient {
  readonly ca: Buffer;
  readonly key?: Buffer;
  readonly cert?: Buffer;
}

/** GET over HTTPS: the status and body, or the TLS/socket error's code (e.g. a refused handshake). */
export const httpsGet = (url: string, tls: TlsClient, headers: Record<string, string> = {}): Promise<{ status: number; body: string } | { error: string }> =>
  new Promise((resolve) => {
    const req = request(url, { ...tls, headers, timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });

/**
 * A client certificate for `subject` (a CN), optionally with a SAN, signed by the PKI's CA, or
 * with `selfSigned` by nobody the server trusts.
 */
export const makeClientCert = (pki: Pick<TestPki, 'dir'>, name: string, o: { cn: string; san?: string; selfSigned?: boolean }): { key: Buffer; cert: Buffer } => {
  const dir = pki.dir;
  writeFileSync(join(dir, `${name}.ext`), `extendedKeyUsage=clientAuth\n${o.san === undefined ? '' : `subjectAltName=${o.san}\n`}`);
  if (o.selfSigned === true) {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${o.cn}`, '-keyout', `${name}.key`, '-out', `${name}.pem`], dir);
  } else {
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${o.cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`], dir);
  }
  return { key: readFileSync(join(dir, `${name}.key`)), cert: readFileSync(join(dir, `${name}.pem`)) };
};

/** Any HTTPS request: the status and body, or the TLS/socket error's code. */
export const httpsRequest = (url: string, tls: TlsClient, o: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string } | { error: string }> =>
  new Promise((resolve) => {
    const req = request(url, { ...tls, method: o.method ?? 'GET', headers: o.headers ?? {}, timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end(o.body);
  });
