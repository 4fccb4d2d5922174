/** Secret comparison for the services' HTTP APIs (their servers: services/platform/http-server.ts). */
import { timingSafeEqual } from 'node:crypto';

export const sameSecret = (given: string | undefined, expected: string): boolean => {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};
