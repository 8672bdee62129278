import { Topics } from '@feedwerk/contracts';
import { type IncomingMessage, type MessageTransport } from '@feedwerk/transport';

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
