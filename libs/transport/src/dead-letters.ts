import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Topics } from '@feedwerk/contracts';
import { DataSource } from 'typeorm';
import { type IncomingMessage, MESSAGE_TRANSPORT, type MessageTransport } from './transport.port';

/** Headers a dead letter carries on the dead-letter topic, besides the record's own. */
export const DeadLetterHeaders = {
  reason: 'dlt-reason',
  topic: 'dlt-topic',
  partition: 'dlt-partition',
  offset: 'dlt-offset',
  group: 'dlt-group',
  at: 'dlt-at',
} as const;

const MAX_REASON = 1000;

/**
 * Parks a record that can never be processed (not JSON, unknown type, invalid payload, key that
 * does not match, tombstone): on the dead-letter topic with the reason, source and group in headers
 * (for tools on the cluster), and as a row in `dead_letters` (what admins list and replay, also in
 * the embedded mode, whose transport keeps no log). It resolves only when both writes are durable;
 * when either fails it throws, the caller's batch fails and is retried, and nothing is committed
 * past the record: a poison record is never dropped silently.
 */
@Injectable()
export class DeadLetterOffice {
  constructor(
    @Inject(MESSAGE_TRANSPORT) private readonly transport: MessageTransport,
    private readonly db: DataSource,
  ) {}

  async park(group: string, message: IncomingMessage, reason: string): Promise<void> {
    const own: Record<string, string> = {};
    for (const [name, value] of Object.entries(message.headers)) if (value !== undefined) own[name] = value;
    const cause = reason.slice(0, MAX_REASON);
    await this.transport.publish(Topics.deadLetter, [
      {
        key: message.key ?? '',
        value: message.value ? message.value.toString('utf8') : '',
        headers: {
          ...own,
          [DeadLetterHeaders.reason]: cause,
          [DeadLetterHeaders.topic]: message.topic,
          [DeadLetterHeaders.partition]: String(message.partition),
          [DeadLetterHeaders.offset]: message.offset,
          [DeadLetterHeaders.group]: group,
          [DeadLetterHeaders.at]: new Date().toISOString(),
        },
      },
    ]);
    // Offsets alone do not identify a record in the embedded transport (they restart with the
    // process), so the content is part of the key that makes a retried park a no-op.
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([message.key, message.value?.toString('base64') ?? null, own]))
      .digest('hex');
    await this.db.query(
      `INSERT INTO dead_letters (consumer_group, source_topic, source_partition, source_offset, fingerprint,
                                 reason, record_key, record_value, headers)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT DO NOTHING`,
      [
        group,
        message.topic,
        message.partition,
        message.offset,
        fingerprint,
        cause,
        message.key,
        message.value,
        JSON.stringify(own),
      ],
    );
  }
}
