/**
 * How control writes control.commands.v1: through the platform's typed writer (synchronous
 * encoding with the cached schema id, records grouped per partition, several requests in flight
 * over its lanes), on a writer of its own so commands never queue behind events or choices.
 *
 * A fleet-wide dispatch is 100k commands. They are handed to the writer in slices, the event loop
 * given back between two, so one dispatch does not hold control's feeds and HTTP for the whole
 * encode; the slices are all in flight at once, and the writer keeps each partition's records in
 * publish order (a site's RELEASE before its new share). Every record carries the writer header,
 * so control's own feed skips its records without decoding them (it applied them when it wrote them).
 */
import type { AvroCodec } from '../../platform/avro-codec.ts';
import type { SiteCommand } from '../../platform/events.ts';
import type { KafkaAdapter } from '../../platform/kafka.ts';
import { openTopicWriter, type TopicRecord, type TopicWriter } from '../../platform/topic-writer.ts';
import { TopicNames } from '../../platform/topics.ts';

/** The header naming the control process that wrote a command. */
export const WRITER_HEADER = 'gridfleet-writer';

export interface CommandWriter {
  /** Resolves once every command is acknowledged by the broker (acks=-1); rejects if any slice failed. */
  publish(commands: readonly SiteCommand[]): Promise<void>;
  close(): Promise<void>;
}

type CommandRecord = TopicRecord<typeof TopicNames.controlCommands>;

export const commandWriterOver = (writer: TopicWriter, origin: string, slice = 5_000): CommandWriter => {
  const headers = Object.freeze({ [WRITER_HEADER]: origin });
  return {
    async publish(commands) {
      const sends: Array<Promise<unknown>> = [];
      for (let i = 0; i < commands.length; i += slice) {
        if (i > 0) await new Promise((r) => setImmediate(r));
        const records: CommandRecord[] = commands.slice(i, i + slice).map((c) => ({ key: c.siteId, value: c, headers }));
        sends.push(writer.publish(TopicNames.controlCommands, records));
      }
      const results = await Promise.allSettled(sends);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    },
    close: () => writer.close(),
  };
};

export const createCommandWriter = async (deps: {
  kafka: KafkaAdapter;
  codec: AvroCodec;
  /** This process's id, written in the WRITER_HEADER of every record. */
  origin: string;
  /** Produce requests in flight at once (default 4). */
  lanes?: number;
}): Promise<CommandWriter> => commandWriterOver(await openTopicWriter({ kafka: deps.kafka, codec: deps.codec, lanes: deps.lanes ?? 4 }), deps.origin);
