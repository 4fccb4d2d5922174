/**
 * Device credentials: a signed token naming the device and its site, verifiable with the shared
 * secret alone (no lookup per frame or per connection). Format: `gf1.<claims>.<signature>`, both
 * base64url; the signature is HMAC-SHA256 over `gf1.<claims>`. Revocation: a device's registry
 * record carries credentialsRevokedBeforeMs; tokens issued before it are refused.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { err, ok, type Result } from '../../platform/result.ts';

export interface DeviceClaims {
  /** Device id. */
  readonly sub: string;
  /** Site the device belongs to. */
  readonly site: string;
  /** Issued at, UTC epoch ms. */
  readonly iat: number;
}

const PREFIX = 'gf1';

const sign = (secret: string, body: string): Buffer => createHmac('sha256', secret).update(body).digest();

export const issueDeviceToken = (secret: string, claims: DeviceClaims): string => {
  const body = `${PREFIX}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${body}.${sign(secret, body).toString('base64url')}`;
};

/** Checks the signature and shape; revocation and registration are the caller's (it knows the directory). */
export const verifyDeviceToken = (secret: string, token: string): Result<DeviceClaims, string> => {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) return err('credential is not a gridfleet device token (gf1.<claims>.<signature>)');
  const [, claimsPart = '', sigPart = ''] = parts;
  const expected = sign(secret, `${PREFIX}.${claimsPart}`);
  const given = Buffer.from(sigPart, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return err('credential signature does not verify');
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(claimsPart, 'base64url').toString('utf8'));
  } catch {
    return err('credential claims are not JSON');
  }
  const c = claims as Partial<DeviceClaims>;
  if (typeof c.sub !== 'string' || typeof c.site !== 'string' || typeof c.iat !== 'number') return err('credential claims lack sub, site or iat');
  return ok({ sub: c.sub, site: c.site, iat: c.iat });
};

/** The bearer token of an Authorization header, or of a `token` query parameter for clients that cannot set headers. */
export const bearerOf = (authorization: string | undefined, queryToken: string | undefined): string | undefined => {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  return m?.[1] ?? queryToken;
};
