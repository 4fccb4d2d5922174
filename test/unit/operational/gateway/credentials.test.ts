import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bearerOf, issueDeviceToken, verifyDeviceToken } from '../../../../services/operational/gateway/credentials.ts';

const SECRET = 'a-test-secret-of-some-length';

describe('device credentials', () => {
  it('verify what they issue, for any device, site and time', () => {
    fc.assert(fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.nat(), (sub, site, iat) => {
      const v = verifyDeviceToken(SECRET, issueDeviceToken(SECRET, { sub, site, iat }));
      expect(v).toEqual({ ok: true, value: { sub, site, iat } });
    }));
  });

  it('refuse a token whose claims were changed, or signed with another secret', () => {
    const token = issueDeviceToken(SECRET, { sub: 'dev-1', site: 'site-1', iat: 1 });
    const [p, , sig] = token.split('.');
    const forgedClaims = Buffer.from(JSON.stringify({ sub: 'dev-2', site: 'site-1', iat: 1 })).toString('base64url');
    expect(verifyDeviceToken(SECRET, `${p}.${forgedClaims}.${sig}`)).toMatchObject({ ok: false, error: expect.stringMatching(/signature/) as unknown });
    expect(verifyDeviceToken('another-secret-entirely', token)).toMatchObject({ ok: false });
    expect(verifyDeviceToken(SECRET, 'garbage')).toMatchObject({ ok: false, error: expect.stringMatching(/not a gridfleet device token/) as unknown });
  });

  it('take the bearer from the header, else from the token parameter', () => {
    expect(bearerOf('Bearer abc', 'zzz')).toBe('abc');
    expect(bearerOf(undefined, 'zzz')).toBe('zzz');
    expect(bearerOf('Basic abc', undefined)).toBeUndefined();
  });
});
