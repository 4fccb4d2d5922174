/**
 * The secured stack's Kafka TLS (`up --secure`): a certificate authority of the stack's own and a
 * broker certificate it signs, for 127.0.0.1 and localhost, made once with openssl into
 * `<state>/secrets/tls/` and made again when either expires within 30 days (or a file is
 * missing). The broker serves SASL_SSL with them (PEM key store and trust store, no keytool); every
 * service's env file points KAFKA_SSL_CA_FILE at the CA, so clients verify the broker and its
 * address. The CA's key stays in the folder (mode 0600, as every secret there): whoever can read
 * it can already read every password beside it.
 *
 * Keys are EC P-256: making the pair costs milliseconds where RSA costs a noticeable share of a
 * start on two cores.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlatformError } from '../../platform/errors.ts';

export interface KafkaTlsFiles {
  /** The stack's CA certificate (PEM): the brokers' trust store and every client's KAFKA_SSL_CA_FILE. */
  readonly caFile: string;
  /** The broker's private key (PKCS#8) followed by its certificate and the CA: Kafka's PEM key store. */
  readonly keystoreFile: string;
}

/** How long the certificates are valid, and how close to the end they are made again. */
const VALID_DAYS = 825;
const RENEW_BEFORE_MS = 30 * 86_400_000;

export const kafkaTlsDir = (secretsDir: string): string => join(secretsDir, 'tls');

/** Whether a PEM certificate file exists and stays valid for the renewal margin after `nowMs`. */
const stillValid = (file: string, nowMs: number): boolean => {
  if (!existsSync(file)) return false;
  try {
    return Date.parse(new X509Certificate(readFileSync(file)).validTo) - nowMs > RENEW_BEFORE_MS;
  } catch {
    return false;
  }
};

const openssl = (args: readonly string[], cwd: string): void => {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') throw new PlatformError('STACK_PREREQUISITE_MISSING', 'openssl is needed to make the secured Kafka listener\'s certificates: apt-get install -y openssl');
    throw new PlatformError('STACK_START_FAILED', `openssl ${args[0] ?? ''} failed: ${err.stderr?.toString().trim() ?? err.message}`, { cause: e });
  }
};

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** Makes (or keeps, while valid) the CA and the broker certificate under `<secretsDir>/tls`. */
export const ensureKafkaTls = (secretsDir: string, nowMs = Date.now()): KafkaTlsFiles => {
  const dir = kafkaTlsDir(secretsDir);
  const files: KafkaTlsFiles = { caFile: join(dir, 'ca.pem'), keystoreFile: join(dir, 'kafka-keystore.pem') };
  if (stillValid(files.caFile, nowMs) && stillValid(files.keystoreFile, nowMs)) return files;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const days = String(VALID_DAYS);
  openssl(['req', '-x509', ...EC, '-days', days, '-subj', '/CN=gridfleet embedded stack CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', 'ca.key', '-out', 'ca.pem'], dir);
  writeFileSync(join(dir, 'kafka.ext'), 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\n');
  openssl(['req', ...EC, '-subj', '/CN=gridfleet embedded Kafka', '-keyout', 'kafka.key', '-out', 'kafka.csr'], dir);
  openssl(['x509', '-req', '-in', 'kafka.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', days, '-extfile', 'kafka.ext', '-out', 'kafka.pem'], dir);
  // Kafka's PEM key store: the chain (the broker's certificate first, so that stillValid reads its
  // expiry) and the key.
  const read = (n: string): string => readFileSync(join(dir, n), 'utf8');
  writeFileSync(files.keystoreFile, `${read('kafka.pem')}${read('ca.pem')}${read('kafka.key')}`, { mode: 0o600 });
  for (const n of ['kafka.csr', 'kafka.ext', 'kafka.key', 'kafka.pem', 'ca.srl']) rmSync(join(dir, n), { force: true });
  chmodSync(join(dir, 'ca.key'), 0o600);
  return files;
};
