import { type Logger } from '@nestjs/common';
import { type FeedEvent, Topics, toFeedEvent } from '@feedwerk/contracts';
import { decodeEnvelope, type IncomingMessage, type MessageTransport } from '@feedwerk/transport';

/**
 * Parks a record that can never be processed (not JSON, unknown type, invalid payload, key that
 * does not match) on the dead-letter topic with the reason in headers, so its partition keeps
 * flowing. If the dead-letter write fails, the caller's batch fails and is retried: a poison record
 * is never dropped silently.
 */
export async function deadLetter(
  transport: MessageTransport,
  group: string,
  message: IncomingMessage,
  reason: string,
): Promise<void> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) if (value !== undefined) headers[name] = value;
  await transport.publish(Topics.deadLetter, [
    {
      key: message.key ?? '',
      value: message.value ? message.value.toString('utf8') : '',
      headers: {
        ...headers,
        'dlt-reason': reason.slice(0, 1000),
        'dlt-topic': message.topic,
        'dlt-partition': String(message.partition),
        'dlt-offset': message.offset,
        'dlt-group': group,
        'dlt-at': new Date().toISOString(),
      },
    },
  ]);
}

/**
 * Turns a batch of records into typed events, in order. Each record that can never become an event
 * is dead-lettered (see above) and left out; the rest of the batch flows on.
 */
export async function decodeOrDeadLetter(
  transport: MessageTransport,
  group: string,
  batch: readonly IncomingMessage[],
  log: Pick<Logger, 'warn'>,
): Promise<FeedEvent[]> {
  const events: FeedEvent[] = [];
  for (const message of batch) {
    try {
      events.push(toFeedEvent(decodeEnvelope(message)));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      log.warn(`dead-lettering ${message.topic}/${message.partition}@${message.offset}: ${reason}`);
      await deadLetter(transport, group, message, reason);
    }
  }
  return events;
}
