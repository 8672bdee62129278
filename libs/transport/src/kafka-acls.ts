import { PublicTopics, type PublicTopicFamily, Topics } from '@feedwerk/contracts';
import {
  type Admin,
  type AclEntry,
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
} from 'kafkajs';

/** The SASL user names (Kafka principals `User:<name>`) that the grants are for. */
export interface FeedwerkPrincipals {
  readonly relay: string;
  readonly projector: string;
  readonly ticker: string;
  /** The admin app (replays for backfill). */
  readonly admin: string;
  /**
   * Every analytics team's own user. Kafka matches principals exactly (only `User:*` is a wildcard),
   * so each `analytics-*` user gets its own, identical grants.
   */
  readonly analytics: readonly string[];
}

export const DEFAULT_PRINCIPALS: FeedwerkPrincipals = {
  relay: 'feedwerk-relay',
  projector: 'feedwerk-projector',
  ticker: 'feedwerk-ticker',
  admin: 'feedwerk-admin',
  analytics: [],
};

export type AclOperation = 'Read' | 'Write' | 'Describe' | 'IdempotentWrite';

/** One ALLOW rule, named the way kafka-acls.sh names it. Nothing is ever denied explicitly: absent is denied. */
export interface AclGrant {
  readonly principal: string;
  readonly resource: 'topic' | 'group' | 'cluster';
  readonly pattern: 'literal' | 'prefixed';
  readonly name: string;
  readonly operations: readonly AclOperation[];
  /** Why this principal needs it (printed beside the command). */
  readonly reason: string;
}

/** Replay topics for backfill: `feedwerk.public.<family>.replay.v1`, written only by the admin app. */
export const replayTopic = (family: PublicTopicFamily): string => `feedwerk.public.${family}.replay.v1`;

/** What analytics principals may read (every public and replay topic) and which groups they may use. */
export const PUBLIC_TOPIC_PREFIX = 'feedwerk.public.';
export const ANALYTICS_GROUP_PREFIX = 'analytics-';

/**
 * Least privilege for Feedwerk on a cluster with `allow.everyone.if.no.acl.found=false`
 * (reliability.md, security (e)). `topicPrefix` is the deployment's TOPIC_PREFIX: it namespaces
 * Feedwerk's topics and consumer groups, so the grants follow it. Analytics groups are the teams'
 * own and are not prefixed.
 */
export function feedwerkAcls(principals: FeedwerkPrincipals, topicPrefix = ''): AclGrant[] {
  const p = topicPrefix;
  const families = Object.keys(PublicTopics) as PublicTopicFamily[];
  const topic = (name: string, operations: AclOperation[], reason: string, principal: string): AclGrant => ({
    principal,
    resource: 'topic',
    pattern: 'literal',
    name: `${p}${name}`,
    operations,
    reason,
  });
  /** The internal event topics, one per category: granted by their common prefix. */
  const eventTopics = (operations: AclOperation[], reason: string, principal: string): AclGrant => ({
    principal,
    resource: 'topic',
    pattern: 'prefixed',
    name: `${p}feedwerk.events.`,
    operations,
    reason,
  });
  const grants: AclGrant[] = [];
  for (const service of [principals.relay, principals.projector, principals.ticker, principals.admin]) {
    // Every app checks at start-up that its topics exist with the right partition count (metadata
    // only; Describe never lets anyone read or write). Topics are created by the admin beforehand.
    grants.push({
      principal: service,
      resource: 'topic',
      pattern: 'prefixed',
      name: `${p}feedwerk.`,
      operations: ['Describe'],
      reason: 'start-up check of topics and partition counts (metadata only)',
    });
  }
  for (const producer of [principals.relay, principals.projector, principals.admin]) {
    grants.push({
      principal: producer,
      resource: 'cluster',
      pattern: 'literal',
      name: 'kafka-cluster',
      operations: ['IdempotentWrite'],
      reason: 'the idempotent producer (InitProducerId)',
    });
  }
  grants.push(eventTopics(['Write', 'Describe'], 'outbox relay: internal event topics', principals.relay));
  for (const family of families.filter((f) => f !== 'activity')) {
    grants.push(
      topic(PublicTopics[family], ['Write', 'Describe'], 'outbox relay: public topics', principals.relay),
    );
  }
  grants.push(
    eventTopics(['Read', 'Describe'], 'projections read the internal event topics', principals.projector),
    {
      principal: principals.projector,
      resource: 'group',
      pattern: 'prefixed',
      name: `${p}projector.`,
      operations: ['Read'],
      reason: 'its consumer groups projector.activity, projector.jobs, ...',
    },
    topic(
      Topics.deadLetter,
      ['Write', 'Describe'],
      'undecodable records go to the DLT',
      principals.projector,
    ),
    topic(Topics.tickerChanges, ['Write', 'Describe'], 'the feed changes', principals.projector),
    topic(PublicTopics.activity, ['Write', 'Describe'], 'the public activity topic', principals.projector),
    topic(Topics.tickerChanges, ['Read', 'Describe'], 'ticker nodes follow the feed', principals.ticker),
    {
      principal: principals.ticker,
      resource: 'group',
      pattern: 'prefixed',
      name: `${p}ticker.`,
      operations: ['Read'],
      reason: 'one group per node: ticker.<node id>',
    },
  );
  for (const family of families) {
    grants.push(topic(replayTopic(family), ['Write', 'Describe'], 'replays for backfill', principals.admin));
  }
  for (const analytics of principals.analytics) {
    grants.push(
      {
        principal: analytics,
        resource: 'topic',
        pattern: 'prefixed',
        name: `${p}${PUBLIC_TOPIC_PREFIX}`,
        operations: ['Read', 'Describe'],
        reason: 'public and replay topics only',
      },
      {
        principal: analytics,
        resource: 'group',
        pattern: 'prefixed',
        name: ANALYTICS_GROUP_PREFIX,
        operations: ['Read'],
        reason: 'its own consumer groups analytics-*',
      },
    );
  }
  return grants;
}

const OPERATION: Record<AclOperation, AclOperationTypes> = {
  Read: AclOperationTypes.READ,
  Write: AclOperationTypes.WRITE,
  Describe: AclOperationTypes.DESCRIBE,
  IdempotentWrite: AclOperationTypes.IDEMPOTENT_WRITE,
};
const RESOURCE: Record<AclGrant['resource'], AclResourceTypes> = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  cluster: AclResourceTypes.CLUSTER,
};

/** The grants as kafkajs ACL entries (one per operation), for `admin.createAcls`. */
export function toAclEntries(grants: readonly AclGrant[]): AclEntry[] {
  return grants.flatMap((grant) =>
    grant.operations.map((operation) => ({
      resourceType: RESOURCE[grant.resource],
      resourceName: grant.name,
      resourcePatternType:
        grant.pattern === 'prefixed' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
      principal: `User:${grant.principal}`,
      host: '*',
      operation: OPERATION[operation],
      permissionType: AclPermissionTypes.ALLOW,
    })),
  );
}

/** Creates the ACLs (idempotent: Kafka keeps one copy of an identical binding). Needs a super user. */
export async function applyAcls(admin: Admin, grants: readonly AclGrant[]): Promise<number> {
  const acl = toAclEntries(grants);
  await admin.createAcls({ acl });
  return acl.length;
}

/** The same grants as `kafka-acls.sh` commands, for operators who prefer Kafka's own tool. */
export function toKafkaAclsCommands(grants: readonly AclGrant[], bootstrap = '$BOOTSTRAP'): string[] {
  return grants.map((grant) => {
    const resource =
      grant.resource === 'cluster'
        ? '--cluster'
        : `--${grant.resource} '${grant.name}' --resource-pattern-type ${grant.pattern}`;
    const ops = grant.operations.map((op) => `--operation ${op}`).join(' ');
    return (
      `kafka-acls.sh --bootstrap-server ${bootstrap} --command-config admin.properties ` +
      `--add --allow-principal 'User:${grant.principal}' ${ops} ${resource}   # ${grant.reason}`
    );
  });
}
