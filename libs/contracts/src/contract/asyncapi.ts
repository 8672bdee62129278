import { CLOUDEVENTS_SPEC_VERSION, KafkaHeaders } from '../envelope';
import { PublicTopics, type PublicTopicFamily } from '../public';
import { ReplayHeaders, ReplayTopics, type ReplayFamily } from '../replay';
import { payloadSchema, sortKeys, type JsonSchema } from './json-schema';
import { type ContractSchema, contractSchemas, schemaFilePath } from './schemas';

const FAMILIES: readonly PublicTopicFamily[] = ['jobs', 'employers', 'content', 'candidates', 'activity'];
const REPLAY_FAMILIES = Object.keys(ReplayTopics) as ReplayFamily[];

const messageId = (schema: ContractSchema) => `${schema.type}.v${schema.version}`;

const KEY_MEANING: Readonly<Record<PublicTopicFamily, string>> = {
  jobs: 'the job’s (or, for JobsRefreshed, the employer’s) stream id: order holds per key',
  employers: 'the employer’s stream id',
  content: 'the blog post’s stream id',
  candidates: '`portal:<portal>`: no candidate identifier ever travels here',
  activity: 'the ticker item id: the latest change per key is the item’s state',
};

const headerString = (description: string, extra: JsonSchema = {}): JsonSchema => ({
  type: 'string',
  description,
  ...extra,
});

/** CloudEvents 1.0 Kafka binding, binary content mode: the attributes as `ce_*` headers. */
function headersOf(schema: ContractSchema): JsonSchema {
  const activity = schema.family === 'activity';
  return {
    type: 'object',
    description:
      'CloudEvents 1.0, Kafka protocol binding, binary content mode: the value is the payload as JSON, ' +
      'the attributes travel as headers (UTF-8 strings).',
    properties: {
      [KafkaHeaders.id]: headerString(
        'The event id: the same on every redelivery and on a replay topic. Deduplicate by it.',
        { format: 'uuid' },
      ),
      [KafkaHeaders.type]: headerString('The public event type.', { const: schema.type }),
      [KafkaHeaders.source]: headerString('Who produced it.'),
      [KafkaHeaders.time]: headerString(
        schema.type === 'CvUploaded'
          ? 'When it happened, truncated to the hour (so no upload can be singled out).'
          : 'When it happened (the stored event’s time).',
        { format: 'date-time' },
      ),
      [KafkaHeaders.specVersion]: headerString('CloudEvents version.', { const: CLOUDEVENTS_SPEC_VERSION }),
      [KafkaHeaders.contentType]: headerString('Media type of the value.', { const: 'application/json' }),
      [KafkaHeaders.subject]: headerString(
        'What it is about: the aggregate’s stream id, or `portal:<portal>`.',
      ),
      [KafkaHeaders.schemaVersion]: headerString(
        `The payload’s schema version: ${schemaFilePath('public', schema.type, schema.version)}.`,
        { const: String(schema.version) },
      ),
      [KafkaHeaders.correlationId]: headerString(
        'The request that caused it (absent on candidate records and derived changes).',
      ),
      [KafkaHeaders.causationId]: headerString('The event or command that caused it, when known.'),
      [ReplayHeaders.id]: headerString('Replay topics only: the republish run (admin API).', {
        format: 'uuid',
      }),
      [ReplayHeaders.from]: headerString('Replay topics only: first global store position of the run.'),
      [ReplayHeaders.to]: headerString('Replay topics only: last global store position of the run.'),
    },
    required: activity
      ? [
          KafkaHeaders.id,
          KafkaHeaders.type,
          KafkaHeaders.source,
          KafkaHeaders.specVersion,
          KafkaHeaders.schemaVersion,
        ]
      : [
          KafkaHeaders.id,
          KafkaHeaders.type,
          KafkaHeaders.source,
          KafkaHeaders.time,
          KafkaHeaders.specVersion,
          KafkaHeaders.contentType,
          KafkaHeaders.subject,
          KafkaHeaders.schemaVersion,
        ],
  };
}

/** The AsyncAPI schema of a payload: draft 7 (the AsyncAPI Schema format), no `$schema`. */
function asyncApiPayload(schema: ContractSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = payloadSchema(
    schema.schema,
    { title: `${schema.type} v${schema.version}`, description: schema.description },
    'draft-7',
  );
  return rest;
}

const DESCRIPTION = `The analytics contract of Feedwerk: what a consumer may read from Kafka.

- Public topics (\`feedwerk.public.*\`) carry allow-listed public fields only (no personal data,
  no pseudonymous candidate ids); one message per stored event that has a public side.
- Messages are CloudEvents 1.0 in Kafka binary mode: value = the payload as JSON, attributes as
  \`ce_*\` headers. \`ce_schemaversion\` names the payload's schema file
  (\`/contract/schemas/public/<type>.v<N>.schema.json\`, JSON Schema 2020-12, served by the api).
- Delivery is at least once: deduplicate by \`ce_id\`. Order holds per key only.
- Compatibility: within a schema version fields are only ever added (be a tolerant reader);
  a breaking change is a new schema version, and a new topic (\`.v2\`) if the old one cannot carry it.
- Replay topics (\`feedwerk.public.<family>.replay.v1\`) carry republished history for backfills:
  the very same messages plus \`feedwerk_replay_id\` / \`_from\` / \`_to\` headers. Live consumers
  never see them; read them with a fresh consumer group from the beginning.
- Internal topics (\`feedwerk.events.*\`, \`feedwerk.ticker-changes.v1\`, \`feedwerk.dlt.v1\`) are
  left out on purpose: they carry the full stored envelope (sealed personal data included), and
  analytics principals have no ACL on them. Their payload schemas are published under
  \`/contract/schemas/events/\` for Feedwerk's own services.`;

/** The AsyncAPI 3.0 document of the public topics, generated from the contract definitions. */
export function buildAsyncApiDocument(schemas: readonly ContractSchema[] = contractSchemas()): JsonSchema {
  const current = schemas.filter((schema) => schema.kind === 'public' && schema.current);
  const messages: Record<string, JsonSchema> = {};
  const payloads: Record<string, JsonSchema> = {};
  for (const schema of current) {
    const id = messageId(schema);
    payloads[id] = asyncApiPayload(schema);
    messages[id] = {
      name: schema.type,
      title: `${schema.type} v${schema.version}`,
      summary: schema.description,
      contentType: 'application/json',
      headers: headersOf(schema),
      payload: { $ref: `#/components/schemas/${id}` },
      bindings: {
        kafka: {
          key: { type: 'string', description: KEY_MEANING[schema.family ?? 'activity'] },
          bindingVersion: '0.5.0',
        },
      },
      description: `Payload: the JSON Schema 2020-12 file /contract/${schemaFilePath('public', schema.type, schema.version)} (embedded below as draft 7).`,
    };
  }
  const channels: Record<string, JsonSchema> = {};
  const operations: Record<string, JsonSchema> = {};
  const channel = (id: string, address: string, family: PublicTopicFamily, description: string) => {
    const ids = current.filter((schema) => schema.family === family).map(messageId);
    channels[id] = {
      address,
      description,
      messages: Object.fromEntries(ids.map((m) => [m, { $ref: `#/components/messages/${m}` }])),
    };
    operations[`receive${id.charAt(0).toUpperCase()}${id.slice(1)}`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${id}` },
      messages: ids.map((m) => ({ $ref: `#/channels/${id}/messages/${m}` })),
    };
  };
  for (const family of FAMILIES) {
    channel(
      family,
      PublicTopics[family],
      family,
      `Live public ${family} events. Key: ${KEY_MEANING[family]}.`,
    );
  }
  for (const family of REPLAY_FAMILIES) {
    channel(
      `${family}Replay`,
      ReplayTopics[family],
      family,
      `Republished ${family} history (admin backfill): the live messages plus the replay headers.`,
    );
  }
  return sortKeys({
    asyncapi: '3.0.0',
    info: {
      title: 'Feedwerk public events',
      version: '1.0.0',
      description: DESCRIPTION,
    },
    defaultContentType: 'application/json',
    servers: {
      production: {
        host: 'kafka.example.invalid:9093',
        protocol: 'kafka-secure',
        description:
          'Placeholder: your Kafka bootstrap servers. SASL_SSL with SCRAM-SHA-512; analytics principals may ' +
          'read the `feedwerk.public.` prefix with groups `analytics.<team>`.',
        security: [{ $ref: '#/components/securitySchemes/scram' }],
      },
    },
    channels,
    operations,
    components: {
      messages,
      schemas: payloads,
      securitySchemes: {
        scram: { type: 'scramSha512', description: 'SASL/SCRAM-SHA-512 credentials per analytics team.' },
      },
    },
  }) as JsonSchema;
}
