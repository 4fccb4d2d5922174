/**
 * Device credentials v2: a JWT (HS256, through `jose`) naming the device (`sub`) and its site,
 * with an expiry (`exp`) and the id of the key that signed it (`kid` in the header), verifiable
 * with the keys alone (no lookup per frame or per connection).
 *
 * Rotation: the gateway holds a key ring; the first key signs, every key verifies. Add a new key
 * first in the ring (the old one second): new credentials carry the new kid, old ones keep
 * working until they expire or the old key is removed, so the fleet never logs out at once.
 *
 * Revocation: a device's registry record carries credentialsRevokedBeforeMs; credentials issued
 * before it (`iatMs`, milliseconds, since JWT's own `iat` is whole seconds) are refused by the
 * directory (device-directory.ts), which keeps the highest revocation it has seen.
 */
import { errors, jwtVerify, SignJWT } from 'jose';
import { err, ok, type Result } from '../../platform/result.ts';

export interface DeviceClaims {
  /** Device id. */
  readonly sub: string;
  /** Site the device belongs to. */
  readonly site: string;
  /** Issued at, UTC epoch ms. */
  readonly iat: number;
  /** Expires at, UTC epoch ms. */
  readonly exp: number;
  /** The key that signed it. */
  readonly kid: string;
}

export interface SigningKey {
  readonly kid: string;
  readonly secret: string;
}

/** First key signs; all verify. Never empty (config.ts guarantees it). */
export type KeyRing = readonly [SigningKey, ...SigningKey[]];

const ISSUER = 'gridfleet-gateway';
const AUDIENCE = 'gridfleet-device';
const encoder = new TextEncoder();
const keyBytes = new WeakMap<SigningKey, Uint8Array>();
const bytesOf = (k: SigningKey): Uint8Array => {
  let b = keyBytes.get(k);
  if (b === undefined) {
    b = encoder.encode(k.secret);
    keyBytes.set(k, b);
  }
  return b;
};

export const issueDeviceToken = async (ring: KeyRing, claims: { readonly sub: string; readonly site: string; readonly iatMs: number; readonly ttlMs: number }): Promise<string> => {
  const key = ring[0];
  return new SignJWT({ site: claims.site, iatMs: claims.iatMs })
    .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(Math.floor(claims.iatMs / 1000))
    .setExpirationTime(Math.floor((claims.iatMs + claims.ttlMs) / 1000))
    .sign(bytesOf(key));
};

export type CredentialProblem = { readonly kind: 'expired' | 'invalid'; readonly message: string };

/**
 * Checks signature (with the key its kid names), issuer, audience, expiry against `nowMs` and the
 * claims' shape. Revocation and registration are the caller's (it knows the directory).
 */
export const verifyDeviceToken = async (ring: KeyRing, token: string, nowMs: number): Promise<Result<DeviceClaims, CredentialProblem>> => {
  const invalid = (message: string): Result<never, CredentialProblem> => err({ kind: 'invalid', message });
  if (token.length > 4096 || token.split('.').length !== 3) return invalid('credential is not a device token (a JWT issued by POST /v1/provision)');
  let kid: string | undefined;
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8')) as { kid?: unknown };
    kid = typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return invalid('credential header is not JSON');
  }
  const key = ring.find((k) => k.kid === kid);
  if (key === undefined) return invalid(`credential is signed with key ${JSON.stringify(kid ?? null)}, which this gateway does not hold (retired or never issued)`);
  try {
    const { payload } = await jwtVerify(token, bytesOf(key), { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, currentDate: new Date(nowMs), requiredClaims: ['sub', 'exp', 'iat'] });
    const { sub, site, iatMs, exp } = payload as { sub?: unknown; site?: unknown; iatMs?: unknown; exp?: unknown };
    if (typeof sub !== 'string' || typeof site !== 'string' || typeof iatMs !== 'number' || typeof exp !== 'number') return invalid('credential claims lack sub, site or iatMs');
    return ok({ sub, site, iat: iatMs, exp: exp * 1000, kid: key.kid });
  } catch (e) {
    if (e instanceof errors.JWTExpired) return err({ kind: 'expired', message: 'credential expired: ask for a new one (POST /v1/device/token before it expires, or re-provision)' });
    if (e instanceof errors.JWSSignatureVerificationFailed) return invalid('credential signature does not verify');
    return invalid(`credential refused: ${e instanceof Error ? e.message : String(e)}`);
  }
};

/** The bearer token of an Authorization header, or of a `token` query parameter for clients that cannot set headers. */
export const bearerOf = (authorization: string | undefined, token: string | undefined): string | undefined => {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  return m?.[1] ?? token ?? undefined;
};
