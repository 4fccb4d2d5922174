import { describe, expect, it } from 'vitest';
import { requestTarget } from '../../../services/platform/request-target.ts';

describe('requestTarget', () => {
  it('parses origin-form targets, keeping // as a path rather than a host', () => {
    expect(requestTarget('//')?.pathname).toBe('//');
    expect(requestTarget('//evil.example/x')?.host).toBe('localhost');
    expect(requestTarget('/a/b?c=%ZZ&d=1')?.searchParams.get('d')).toBe('1');
    expect(requestTarget('/x%ZZ')?.pathname).toBe('/x%ZZ');
  });
  it('refuses asterisk, absolute-form and empty targets', () => {
    expect(requestTarget('*')).toBeUndefined();
    expect(requestTarget('http://other.example/x')).toBeUndefined();
    expect(requestTarget('')).toBeUndefined();
    expect(requestTarget(undefined)).toBeUndefined();
  });
});
