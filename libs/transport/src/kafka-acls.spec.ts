import { PublicTopics, Topics } from '@feedwerk/contracts';
import { AclOperationTypes, ResourcePatternTypes } from 'kafkajs';
import {
  type AclGrant,
  DEFAULT_PRINCIPALS,
  feedwerkAcls,
  toAclEntries,
  toKafkaAclsCommands,
} from './kafka-acls';

const principals = { ...DEFAULT_PRINCIPALS, analytics: ['analytics-bi', 'analytics-ml'] };
const of = (grants: AclGrant[], principal: string) => grants.filter((g) => g.principal === principal);

describe('feedwerkAcls', () => {
  const grants = feedwerkAcls(principals);

  it('gives analytics principals read on the public prefix and their group prefix, nothing else', () => {
    for (const user of principals.analytics) {
      expect(of(grants, user)).toEqual([
        expect.objectContaining({
          resource: 'topic',
          pattern: 'prefixed',
          name: 'feedwerk.public.',
          operations: ['Read', 'Describe'],
        }),
        expect.objectContaining({
          resource: 'group',
          pattern: 'prefixed',
          name: 'analytics-',
          operations: ['Read'],
        }),
      ]);
    }
  });

  it('lets no Feedwerk principal but the projector read events, and nobody write the DLT but the projector', () => {
    const readers = grants.filter(
      (g) => g.operations.includes('Read') && g.name.startsWith('feedwerk.events'),
    );
    expect(new Set(readers.map((g) => g.principal))).toEqual(new Set([principals.projector]));
    const dlt = grants.filter((g) => g.name === Topics.deadLetter && g.operations.includes('Write'));
    expect(dlt.map((g) => g.principal)).toEqual([principals.projector]);
    const publicJobsWriters = grants.filter(
      (g) => g.name === PublicTopics.jobs && g.operations.includes('Write'),
    );
    expect(publicJobsWriters.map((g) => g.principal)).toEqual([principals.relay]);
  });

  it('namespaces Feedwerk topics and groups by TOPIC_PREFIX, but not the analytics teams’ groups', () => {
    const prefixed = feedwerkAcls(principals, 'staging.');
    expect(of(prefixed, principals.projector)).toContainEqual(
      expect.objectContaining({ resource: 'group', name: 'staging.projector.' }),
    );
    expect(of(prefixed, 'analytics-bi')).toEqual([
      expect.objectContaining({ name: 'staging.feedwerk.public.' }),
      expect.objectContaining({ name: 'analytics-' }),
    ]);
  });

  it('becomes one kafkajs entry per operation, and kafka-acls.sh commands', () => {
    const entries = toAclEntries(of(grants, 'analytics-bi'));
    expect(entries).toHaveLength(3);
    expect(entries[0]).toMatchObject({
      principal: 'User:analytics-bi',
      resourcePatternType: ResourcePatternTypes.PREFIXED,
      operation: AclOperationTypes.READ,
    });
    expect(toKafkaAclsCommands(of(grants, 'analytics-bi'))[1]).toContain(
      "--allow-principal 'User:analytics-bi' --operation Read --group 'analytics-' --resource-pattern-type prefixed",
    );
  });
});
