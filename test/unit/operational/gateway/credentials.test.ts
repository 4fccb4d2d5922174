import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bearerOf, issueDeviceToken, verifyDeviceToken, type KeyRing } from '../../../../services/operational/gateway/credentials.ts';
import { parseKeyRing } from '../../../../services/operational/gateway/config.ts';

// Guards issue 19: credentials carried no expiry and the secret no key id, so rotating the secret
// logged the whole fleet out at once and a leaked credential worked forever.
const OLD: KeyRing = [{ kid: 'k1', secret: 'a-test-secret-of-some-length' }];
const ROTATED: KeyRing = [{ kid: 'k2', secret: 'the-next-secret-of-some-length' }, { kid: 'k1', secret: 'a-test-secret-of-some-length' }];
const NOW = 1_780_000_000_000;
const DAY = 86_400_000;

describe('device credentials v2', () => {
  it('verify what they issue, for any device and site, with expiry and kid', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.integer({ min: 0, max: 10 * DAY }), async (sub, site, offset) => {
      const iatMs = NOW + offset;
      const v = await verifyDeviceToken(OLD, await issueDeviceToken(OLD, { sub, site, iatMs, ttlMs: DAY }), iatMs + 1000);
      expect(v).toEqual({ ok: true, value: { sub, site, iat: iatMs, exp: Math.floor((iatMs + DAY) / 1000) * 1000, kid: 'k1' } });
    }), { numRuns: 50 });
  });

  it('refuse an expired credential as expired', async () => {
    const t = await issueDeviceToken(OLD, { sub: 'd', site: 's', iatMs: NOW, ttlMs: DAY });
    expect(await verifyDeviceToken(OLD, t, NOW + DAY - 1000)).toMatchObject({ ok: true });
    expect(await verifyDeviceToken(OLD, t, NOW + DAY + 1000)).toMatchObject({ ok: false, error: { kind: 'expired' } });
  });

  it('during a rotation: new credentials carry the new kid, old ones still verify; once the old key is gone they do not', async () => {
    const old = await issueDeviceToken(OLD, { sub: 'd', site: 's', iatMs: NOW, ttlMs: DAY });
    const fresh = await issueDeviceToken(ROTATED, { sub: 'd', site: 's', iatMs: NOW, ttlMs: DAY });
    expect(await verifyDeviceToken(ROTATED, old, NOW)).toMatchObject({ ok: true, value: { kid: 'k1' } });
    expect(await verifyDeviceToken(ROTATED, fresh, NOW)).toMatchObject({ ok: true, value: { kid: 'k2' } });
    const retired: KeyRing = [ROTATED[0]];
    expect(await verifyDeviceToken(retired, old, NOW)).toMatchObject({ ok: false, error: { kind: 'invalid', message: expect.stringMatching(/key "k1", which this gateway does not hold/) as unknown } });
  });

  it('refuse changed claims, another secret under a known kid, another algorithm and garbage', async () => {
    const token = await issueDeviceToken(OLD, { sub: 'dev-1', site: 'site-1', iatMs: NOW, ttlMs: DAY });
    const [h, , sig] = token.split('.');
    const forgedClaims = Buffer.from(JSON.stringify({ sub: 'dev-2', site: 'site-1', iatMs: NOW, iat: NOW / 1000, exp: NOW / 1000 + 100, iss: 'gridfleet-gateway', aud: 'gridfleet-device' })).toString('base64url');
    expect(await verifyDeviceToken(OLD, `${h}.${forgedClaims}.${sig}`, NOW)).toMatchObject({ ok: false, error: { message: expect.stringMatching(/signature/) as unknown } });
    const other = await issueDeviceToken([{ kid: 'k1', secret: 'another-secret-entirely' }], { sub: 'dev-1', site: 'site-1', iatMs: NOW, ttlMs: DAY });
    expect(await verifyDeviceToken(OLD, other, NOW)).toMatchObject({ ok: false });
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: 'k1' })).toString('base64url')}.${token.split('.')[1]}.`;
    expect(await verifyDeviceToken(OLD, none, NOW)).toMatchObject({ ok: false });
    expect(await verifyDeviceToken(OLD, 'garbage', NOW)).toMatchObject({ ok: false, error: { message: expect.stringMatching(/not a device token/) as unknown } });
  });

  it('take the bearer from the header, else from the token parameter', () => {
    expect(bearerOf('Bearer abc', 'zzz')).toBe('abc');
    expect(bearerOf(undefined, 'zzz')).toBe('zzz');
    expect(bearerOf('Basic abc', undefined)).toBeUndefined();
  });

  it('parse a key ring: the first key signs, every key is named once and long enough', () => {
    const p: string[] = [];
    expect(parseKeyRing('k2:the-next-secret-of-some-length,k1:a-test-secret-of-some-length', undefined, p)).toEqual(ROTATED);
    expect(parseKeyRing(undefined, 'a-test-secret-of-some-length', p)).toEqual(OLD);
    expect(p).toEqual([]);
    parseKeyRing('k1:short,k1:a-test-secret-of-some-length', undefined, p);
    expect(p).toEqual(['GATEWAY_TOKEN_KEYS names key k1 twice', 'the secret of token key k1 must be at least 16 characters']);
  });
});
