/**
 * The secure backbone's principals and what each may do on Kafka: one SASL/SCRAM user per
 * service, and ACLs read from the code (each service's publish calls, the topics it follows and
 * its consumer group ids). The broker denies everything else (allow.everyone.if.no.acl.found=false);
 * `admin` is the stack's own super user, for formatting, topics, schemas and these ACLs. Pure.
 *
 * Group names: the services name their groups with a fixed prefix and a per-instance suffix
 * (topic-feed.ts `<prefix>-<topic>-<random>`, readAll `<clientId>-read-<random>`), so groups are
 * granted by prefix, topics literally. docs/security.md shows this matrix (backboneMatrixMarkdown).
 */
import type { AclGrant, AclOperation } from '../../platform/kafka.ts';
import { TopicNames, type TopicName } from '../../platform/topics.ts';
import { SCHEMAS_TOPIC } from '../registry/kafka-store.ts';

/** The stack's super user (super.users), never given to a service. */
export const STACK_ADMIN = 'admin';

/** The services that talk to Kafka, each its own principal. */
export const BACKBONE_PRINCIPALS = ['gateway', 'control', 'assets', 'ingest', 'forecast', 'console', 'registry', 'simulator'] as const;
export type BackbonePrincipal = (typeof BACKBONE_PRINCIPALS)[number];

interface Access {
  /** Topics it consumes (READ, which implies DESCRIBE: metadata and offsets). */
  readonly reads: readonly string[];
  /** Topics it produces to (WRITE, which implies DESCRIBE). */
  readonly writes: readonly string[];
  /** Consumer group prefixes it joins and commits in (READ on the group). */
  readonly groups: readonly string[];
  /** Further topic operations (the registry creates and converges its own log). */
  readonly extra?: ReadonlyArray<{ readonly topic: string; readonly operation: AclOperation }>;
}

const T = TopicNames;
const ALL_TOPICS: readonly TopicName[] = Object.values(TopicNames);

export const BACKBONE_ACCESS: Readonly<Record<BackbonePrincipal, Access>> = {
  // Devices' telemetry and acks, rejected frames, and operator provisioning (operator-api.ts);
  // it follows registry, commands and forecasts to serve devices, and never writes a command.
  gateway: {
    reads: [T.assetRegistry, T.controlCommands, T.fleetForecasts],
    writes: [T.telemetry, T.controlAcks, T.deadLetters, T.assetRegistry],
    groups: ['gateway-'],
  },
  // The only writer of commands, grid events and customer choices (control-service.ts, command-writer.ts).
  control: {
    reads: [T.assetRegistry, T.assetState, T.gridEvents, T.controlCommands, T.controlAcks, T.controlChoices],
    writes: [T.gridEvents, T.controlChoices, T.controlCommands],
    groups: ['control-', 'gridfleet-control-'],
  },
  assets: {
    reads: [T.telemetry, T.assetRollup, T.assetRegistry, T.assetState, T.weatherObservations, T.gridMix, T.fleetForecasts],
    writes: [T.assetRollup, T.assetState, T.deadLetters],
    groups: ['gridfleet-assets'],
  },
  // Lands every topic in ClickHouse; dead-letters what it cannot map.
  ingest: { reads: ALL_TOPICS, writes: [T.deadLetters], groups: ['gridfleet-ingest'] },
  // Bundles and provider forecasts; `forecast tail` reads bundles back.
  forecast: { reads: [T.fleetForecasts], writes: [T.fleetForecasts, T.providerForecasts], groups: ['gridfleet-forecasts-tail-'] },
  console: { reads: [T.assetRegistry], writes: [], groups: ['gridfleet-console-'] },
  registry: {
    reads: [SCHEMAS_TOPIC],
    writes: [SCHEMAS_TOPIC],
    groups: ['gridfleet-registry-read-'],
    extra: [
      { topic: SCHEMAS_TOPIC, operation: 'create' },
      { topic: SCHEMAS_TOPIC, operation: 'describe-configs' },
      { topic: SCHEMAS_TOPIC, operation: 'alter-configs' },
    ],
  },
  // The simulated outside world's feeds (world-feeds.ts); its devices speak to the gateway only.
  simulator: { reads: [], writes: [T.weatherObservations, T.gridMix, T.providerForecasts], groups: [] },
};

/** Every grant of the matrix, for admin.replaceAcls. */
export const backboneGrants = (access: Readonly<Record<string, Access>> = BACKBONE_ACCESS): AclGrant[] =>
  Object.entries(access).flatMap(([principal, a]) => [
    ...a.reads.map((name): AclGrant => ({ principal, resource: 'topic', name, pattern: 'literal', operation: 'read' })),
    ...a.writes.map((name): AclGrant => ({ principal, resource: 'topic', name, pattern: 'literal', operation: 'write' })),
    ...a.groups.map((name): AclGrant => ({ principal, resource: 'group', name, pattern: 'prefixed', operation: 'read' })),
    ...(a.extra ?? []).map((e): AclGrant => ({ principal, resource: 'topic', name: e.topic, pattern: 'literal', operation: e.operation })),
  ]);

/** The matrix as a Markdown table: topics and groups down, principals across, R/W (and C, DC, AC) in the cells. */
export const backboneMatrixMarkdown = (access: Readonly<Record<BackbonePrincipal, Access>> = BACKBONE_ACCESS): string => {
  const principals = BACKBONE_PRINCIPALS;
  const short: Partial<Record<AclOperation, string>> = { read: 'R', write: 'W', create: 'C', 'describe-configs': 'DC', 'alter-configs': 'AC' };
  const topics = [...ALL_TOPICS, SCHEMAS_TOPIC];
  const cell = (p: BackbonePrincipal, topic: string): string => {
    const a = access[p];
    const ops: AclOperation[] = [
      ...(a.reads.includes(topic) ? ['read' as const] : []),
      ...(a.writes.includes(topic) ? ['write' as const] : []),
      ...(a.extra ?? []).filter((e) => e.topic === topic).map((e) => e.operation),
    ];
    return ops.map((o) => short[o] ?? o).join(' ') || '-';
  };
  const header = `| topic / group | ${principals.join(' | ')} |\n|---|${principals.map(() => '---').join('|')}|`;
  const topicRows = topics.map((t) => `| \`${t}\` | ${principals.map((p) => cell(p, t)).join(' | ')} |`);
  const groupRows = principals.flatMap((p) =>
    access[p].groups.map((g) => `| group \`${g}*\` | ${principals.map((q) => (q === p ? 'R' : '-')).join(' | ')} |`));
  return [header, ...topicRows, ...groupRows].join('\n');
};
