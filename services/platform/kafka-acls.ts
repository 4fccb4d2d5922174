/**
 * ACLs of a cluster that runs Kafka's StandardAuthorizer, in the adapter's own terms (no kafkajs
 * types leave the adapter). A grant allows one principal one operation on a topic, a consumer
 * group or the cluster, named literally or by prefix. Only the adapter's modules import this.
 */
import kafkajs from 'kafkajs';
import { wrap } from './kafka-client.ts';

export const AclOperations = ['read', 'write', 'describe', 'create', 'describe-configs', 'alter-configs', 'idempotent-write'] as const;
export type AclOperation = (typeof AclOperations)[number];

export interface AclGrant {
  /** The SASL user name; the ACL's principal is `User:<name>`. */
  readonly principal: string;
  readonly resource: 'topic' | 'group' | 'cluster';
  /** A topic or group name, or its prefix; `kafka-cluster` for the cluster. */
  readonly name: string;
  readonly pattern: 'literal' | 'prefixed';
  readonly operation: AclOperation;
}

const OPERATION: Record<AclOperation, kafkajs.AclOperationTypes> = {
  read: kafkajs.AclOperationTypes.READ,
  write: kafkajs.AclOperationTypes.WRITE,
  describe: kafkajs.AclOperationTypes.DESCRIBE,
  create: kafkajs.AclOperationTypes.CREATE,
  'describe-configs': kafkajs.AclOperationTypes.DESCRIBE_CONFIGS,
  'alter-configs': kafkajs.AclOperationTypes.ALTER_CONFIGS,
  'idempotent-write': kafkajs.AclOperationTypes.IDEMPOTENT_WRITE,
};

const RESOURCE: Record<AclGrant['resource'], kafkajs.AclResourceTypes> = {
  topic: kafkajs.AclResourceTypes.TOPIC,
  group: kafkajs.AclResourceTypes.GROUP,
  cluster: kafkajs.AclResourceTypes.CLUSTER,
};

const toEntry = (g: AclGrant): kafkajs.AclEntry => ({
  principal: `User:${g.principal}`,
  host: '*',
  operation: OPERATION[g.operation],
  permissionType: kafkajs.AclPermissionTypes.ALLOW,
  resourceType: RESOURCE[g.resource],
  resourceName: g.name,
  resourcePatternType: g.pattern === 'literal' ? kafkajs.ResourcePatternTypes.LITERAL : kafkajs.ResourcePatternTypes.PREFIXED,
});

/**
 * Makes the ACLs of every principal named in `grants` exactly `grants`: first deletes whatever
 * those principals were allowed before (so a grant removed from the matrix is revoked on the next
 * start), then creates the grants. Other principals' ACLs are left alone.
 */
export const replaceAcls = async (admin: kafkajs.Admin, grants: readonly AclGrant[]): Promise<void> => {
  const principals = [...new Set(grants.map((g) => g.principal))];
  await wrap('KAFKA_UNAVAILABLE', 'delete ACLs', () =>
    admin.deleteAcls({
      filters: principals.map((p) => ({
        resourceType: kafkajs.AclResourceTypes.ANY,
        resourcePatternType: kafkajs.ResourcePatternTypes.ANY,
        principal: `User:${p}`,
        operation: kafkajs.AclOperationTypes.ANY,
        permissionType: kafkajs.AclPermissionTypes.ANY,
      })),
    }));
  if (grants.length > 0) await wrap('KAFKA_UNAVAILABLE', 'create ACLs', () => admin.createAcls({ acl: grants.map(toEntry) }));
};
