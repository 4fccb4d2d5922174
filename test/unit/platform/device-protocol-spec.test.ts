/**
 * docs/openapi/device-websocket.json (AsyncAPI) describes the frames the gateway reads
 * (platform/device-protocol.ts): every frame generated from its DeviceFrame schema is read by
 * parseDeviceFrame as the frame it is, and a frame the schema refuses (a required field missing)
 * is refused by the parser too (the negative control), so the description cannot drift silently.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDeviceFrame } from '../../../services/platform/device-protocol.ts';
import { valid, type JsonSchema } from '../../support/schema-arbitrary.ts';

const doc = JSON.parse(readFileSync(join(import.meta.dirname, '../../../docs/openapi/device-websocket.json'), 'utf8')) as { components: { schemas: Record<string, JsonSchema> } };
const schemas = doc.components.schemas;

describe('device WebSocket protocol description', () => {
  it('describes frames the gateway reads', () => {
    fc.assert(fc.property(valid({ $ref: '#/components/schemas/DeviceFrame' }, schemas), (frame) => {
      const r = parseDeviceFrame(JSON.stringify(frame), 1 << 20);
      expect(r.ok, JSON.stringify(r)).toBe(true);
      if (r.ok) expect(r.value.type).toBe((frame as { type: string }).type);
    }), { numRuns: 300 });
  });

  it('refuses what it marks required, like the parser', () => {
    for (const name of ['TelemetryFrame', 'AckFrame']) {
      const s = schemas[name] as { required: string[] };
      fc.assert(fc.property(valid(schemas[name] ?? {}, schemas), fc.constantFrom(...s.required.filter((k) => k !== 'type')), (frame, drop) => {
        const broken = { ...(frame as Record<string, unknown>) };
        delete broken[drop];
        expect(parseDeviceFrame(JSON.stringify(broken), 1 << 20).ok).toBe(false);
      }), { numRuns: 100 });
    }
  });
});
