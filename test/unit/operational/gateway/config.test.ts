import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../../../../services/operational/gateway/config.ts';

// The defaults docs/device-protocol.md states; a change here must change the page.
describe('gateway config', () => {
  it('has the documented defaults', () => {
    const c = parseGatewayConfig({});
    expect(c.devicePolicy).toEqual({ ratePerSec: 10, burst: 200, strikesToDisconnect: 50 });
    expect(c.maxFrameBytes).toBe(4096);
    expect(c.wsMaxMessageBytes).toBe(1_048_576);
    expect(c.maxPending).toBe(20_000);
  });

  it('refuses a WebSocket hard cap below the frame limit, naming both', () => {
    expect(() => parseGatewayConfig({ GATEWAY_MAX_FRAME_BYTES: '8192', GATEWAY_WS_MAX_MESSAGE_BYTES: '4096' })).toThrow(
      /GATEWAY_WS_MAX_MESSAGE_BYTES \(4096\) must be at least GATEWAY_MAX_FRAME_BYTES \(8192\)/,
    );
    expect(parseGatewayConfig({ GATEWAY_MAX_FRAME_BYTES: '8192', GATEWAY_WS_MAX_MESSAGE_BYTES: '8192' }).wsMaxMessageBytes).toBe(8192);
  });
});
