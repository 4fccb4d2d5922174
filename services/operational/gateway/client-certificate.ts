/**
 * Device identity from a client certificate (as IEEE 2030.5 and AWS IoT devices authenticate),
 * when the gateway is given GATEWAY_TLS_CLIENT_CA_FILE. The TLS layer asks every client for a
 * certificate but lets clients without one in (operators, devices on bearer credentials); what a
 * presented certificate means is decided here, per request:
 *
 * - none presented: the bearer credential decides, as without TLS;
 * - presented but not signed by the client CA, expired or not yet valid: refused (401), whatever
 *   credential comes with it;
 * - valid: it names the device, by a SAN `URI:urn:gridfleet:device:<deviceId>` or else by its
 *   subject CN. No bearer credential is needed; one that is sent must name the same device. A
 *   revocation (POST /v1/devices/{id}/revoke) refuses certificates whose validity began before it
 *   (notBefore), as it does credentials issued before it.
 */
import type { TLSSocket } from 'node:tls';

/** What a request's TLS connection presented, read once per socket. */
export type PresentedCertificate =
  | { readonly ok: true; readonly deviceId: string; readonly notBeforeMs: number }
  | { readonly ok: false; readonly message: string };

const DEVICE_URI = 'URI:urn:gridfleet:device:';

/** The device a certificate names: its SAN device URI, else its subject CN; null when neither. Pure. */
export const deviceIdOfCertificate = (c: { readonly subjectCn: string | undefined; readonly subjectAltName: string | undefined }): string | null => {
  const uri = (c.subjectAltName ?? '').split(/,\s*/).find((s) => s.startsWith(DEVICE_URI));
  const id = uri !== undefined ? uri.slice(DEVICE_URI.length) : c.subjectCn;
  return id !== undefined && /^[A-Za-z0-9._:-]{1,200}$/.test(id) ? id : null;
};

const seen = new WeakMap<TLSSocket, PresentedCertificate | null>();

/** The certificate a socket's client presented; null on plain HTTP or when it presented none. */
export const presentedCertificate = (socket: unknown): PresentedCertificate | null => {
  const tls = socket as Partial<TLSSocket> | null;
  if (tls === null || typeof tls.getPeerCertificate !== 'function') return null;
  const s = tls as TLSSocket;
  const cached = seen.get(s);
  if (cached !== undefined) return cached;
  const peer = s.getPeerCertificate();
  let answer: PresentedCertificate | null;
  if (peer === null || Object.keys(peer).length === 0) answer = null;
  else if (!s.authorized) answer = { ok: false, message: `client certificate refused: ${String(s.authorizationError ?? 'not signed by the client CA')}` };
  else {
    const cn = Array.isArray(peer.subject?.CN) ? peer.subject.CN[0] : peer.subject?.CN;
    const deviceId = deviceIdOfCertificate({ subjectCn: cn, subjectAltName: peer.subjectaltname });
    answer = deviceId === null
      ? { ok: false, message: 'client certificate names no device (a SAN URI urn:gridfleet:device:<id> or the subject CN)' }
      : { ok: true, deviceId, notBeforeMs: Date.parse(peer.valid_from) };
  }
  seen.set(s, answer);
  return answer;
};
