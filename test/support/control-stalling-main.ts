/**
 * A control process whose command writer dies half-way through one dispatch: when the file named
 * by CONTROL_TEST_STALL_FLAG exists, the next publish removes it (so only one process of several
 * takes it), writes the first half of its commands and then never returns, as a leader does that
 * is SIGKILLed mid-write. When the file named by CONTROL_TEST_REFUSE_FLAG exists, the next publish
 * removes it and fails without writing anything, as a write Kafka refuses does (a takeover that
 * meets it must be tried again). The faults are this decorator, wired here only: main.ts has no
 * such hook.
 */
import { existsSync, unlinkSync } from 'node:fs';
import { createAvroCodec, createRegistryClient } from '../../services/platform/avro-codec.ts';
import { createKafkaAdapter } from '../../services/platform/kafka.ts';
import { createLogger } from '../../services/platform/logger.ts';
import type { CommandWriter } from '../../services/operational/control/command-writer.ts';
import { parseControlConfig } from '../../services/operational/control/config.ts';
import { startControl } from '../../services/operational/control/control.ts';

const flag = process.env['CONTROL_TEST_STALL_FLAG'] ?? '';
const refuseFlag = process.env['CONTROL_TEST_REFUSE_FLAG'] ?? '';
/** True once: the flag existed and this process removed it. */
const takeFlag = (path: string): boolean => {
  if (path === '' || !existsSync(path)) return false;
  try {
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
};
const stalling = (inner: CommandWriter): CommandWriter => ({
  publish: async (cmds) => {
    if (takeFlag(refuseFlag)) {
      process.stderr.write(`REFUSED a write of ${cmds.length} commands\n`);
      throw new Error('test: this command write is refused');
    }
    if (flag === '' || !existsSync(flag) || cmds.length < 2) return inner.publish(cmds);
    try {
      unlinkSync(flag);
    } catch {
      return inner.publish(cmds);
    }
    await inner.publish(cmds.slice(0, Math.floor(cmds.length / 2)));
    process.stderr.write(`STALLED after ${Math.floor(cmds.length / 2)} of ${cmds.length} commands\n`);
    await new Promise(() => undefined);
  },
  close: () => inner.close(),
});

const config = parseControlConfig(process.env);
const logger = createLogger(config.platform.logLevel, { service: 'control', instanceId: config.instanceId });
await startControl(config, {
  kafka: createKafkaAdapter({ brokers: config.platform.kafkaBrokers, security: config.platform.kafkaSecurity, clientId: `gridfleet-${config.instanceId}`, logger }),
  codec: createAvroCodec({ registry: createRegistryClient(config.platform.registryUrl, config.platform.registryAuth) }),
  logger,
  wrapCommands: stalling,
});
process.on('SIGTERM', () => process.exit(0));
