/**
 * Guards issue 19's "TLS optional" for the secured backbone: the stack makes its own CA and a
 * broker certificate that a client trusting that CA accepts for 127.0.0.1, keeps them while they
 * are valid, and makes them again before they expire. openssl is the only thing it runs.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureKafkaTls } from '../../../../services/embedded/stack/kafka-tls.ts';

const dir = mkdtempSync(join(tmpdir(), 'gridfleet-kafka-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the secured stack’s Kafka certificates', () => {
  const files = ensureKafkaTls(dir);
  const ca = new X509Certificate(readFileSync(files.caFile));
  const keystore = readFileSync(files.keystoreFile, 'utf8');
  const broker = new X509Certificate(keystore);

  it('sign a broker certificate for 127.0.0.1 and localhost with the stack CA, its key beside it', () => {
    expect(ca.ca).toBe(true);
    expect(broker.ca).toBe(false);
    expect(broker.checkIssued(ca)).toBe(true);
    expect(broker.verify(ca.publicKey)).toBe(true);
    expect(broker.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(broker.checkHost('localhost')).toBe('localhost');
    expect(broker.checkHost('kafka.example.com')).toBeUndefined();
    expect(keystore).toMatch(/-----BEGIN PRIVATE KEY-----/);
    expect(statSync(files.keystoreFile).mode & 0o077).toBe(0);
    expect(statSync(join(dir, 'tls', 'ca.key')).mode & 0o077).toBe(0);
  });

  it('are kept while valid and made again within 30 days of the end', () => {
    expect(readFileSync(ensureKafkaTls(dir).keystoreFile, 'utf8')).toBe(keystore);
    const nearTheEnd = Date.parse(broker.validTo) - 10 * 86_400_000;
    const renewed = ensureKafkaTls(dir, nearTheEnd);
    expect(readFileSync(renewed.keystoreFile, 'utf8')).not.toBe(keystore);
    expect(new X509Certificate(readFileSync(renewed.caFile)).fingerprint256).not.toBe(ca.fingerprint256);
  });
});
