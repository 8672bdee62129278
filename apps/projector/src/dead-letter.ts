import { type Logger } from '@nestjs/common';
import { type FeedEvent, toFeedEvent } from '@feedwerk/contracts';
import { type DeadLetterOffice, decodeEnvelope, type IncomingMessage } from '@feedwerk/transport';

/**
 * Turns a batch of records into typed events, in order. Each record that can never become an event
 * (a permanent failure) is parked as a dead letter and left out; the rest of the batch flows on.
 * Anything else that fails later (PostgreSQL down: transient) fails the batch, which the transport
 * retries with back-off and without a dead letter.
 */
export async function decodeOrDeadLetter(
  deadLetters: DeadLetterOffice,
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
      await deadLetters.park(group, message, reason);
    }
  }
  return events;
}
