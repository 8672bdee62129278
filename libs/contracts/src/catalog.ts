import { type z } from 'zod';
import { type DomainEvent, type EventEnvelope } from './envelope';
import { type EventCategory } from './define-event';
import { AdminActionRecorded } from './events/admin-action-recorded.event';
import { BlogPostPublished } from './events/blog-post-published.event';
import { CandidateErased } from './events/candidate-erased.event';
import { CvUploaded } from './events/cv-uploaded.event';
import { EmployerRegistered } from './events/employer-registered.event';
import { JobClosed } from './events/job-closed.event';
import { JobPosted } from './events/job-posted.event';
import { JobUpdated } from './events/job-updated.event';
import { JobsRefreshed } from './events/jobs-refreshed.event';

/**
 * Every event Feedwerk records, by its wire name. Producers, projectors, the ticker and the
 * analytics contract read definitions from here and nowhere else.
 */
export const eventCatalog = {
  EmployerRegistered,
  JobPosted,
  JobUpdated,
  JobClosed,
  JobsRefreshed,
  BlogPostPublished,
  CvUploaded,
  CandidateErased,
  AdminActionRecorded,
} as const;

export type EventType = keyof typeof eventCatalog;
export type EventData<T extends EventType> = z.output<(typeof eventCatalog)[T]['schema']>;

/** A decided, not yet stored event of any known type. */
export type FeedDomainEvent = { [K in EventType]: DomainEvent<K, EventData<K>> }[EventType];
/** A stored event of any known type, payload upcast to the current version. */
export type FeedEvent = { [K in EventType]: EventEnvelope<K, EventData<K>> }[EventType];

export const isEventType = (type: string): type is EventType => Object.hasOwn(eventCatalog, type);

export class UnknownEventTypeError extends Error {
  constructor(readonly eventType: string) {
    super(`unknown event type "${eventType}"`);
  }
}

export class UnsupportedSchemaVersionError extends Error {
  constructor(
    readonly eventType: string,
    readonly schemaVersion: number,
  ) {
    super(`unsupported schema version ${schemaVersion} of "${eventType}"`);
  }
}

export class InvalidEventPayloadError extends Error {
  constructor(
    readonly eventType: string,
    readonly issues: string,
  ) {
    super(`invalid payload of "${eventType}": ${issues}`);
  }
}

/**
 * Upcasts a payload of any known version to the current one and validates it.
 * Throws UnknownEventTypeError, UnsupportedSchemaVersionError (a version from the future) or
 * InvalidEventPayloadError; consumers classify these as permanent (dead-letter) failures.
 */
export function parseEventData<T extends EventType>(
  type: T,
  schemaVersion: number,
  payload: unknown,
): EventData<T>;
export function parseEventData(type: string, schemaVersion: number, payload: unknown): unknown;
export function parseEventData(type: string, schemaVersion: number, payload: unknown): unknown {
  if (!isEventType(type)) throw new UnknownEventTypeError(type);
  const definition = eventCatalog[type];
  if (!Number.isInteger(schemaVersion) || schemaVersion < 1 || schemaVersion > definition.version) {
    throw new UnsupportedSchemaVersionError(type, schemaVersion);
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new InvalidEventPayloadError(type, 'payload is not an object');
  }
  let current = payload as Record<string, unknown>;
  for (let v = schemaVersion; v < definition.version; v += 1) {
    const upcast = definition.upcasters[v];
    if (!upcast) throw new UnsupportedSchemaVersionError(type, v);
    current = upcast(current);
  }
  const result = (definition.schema as z.ZodType).safeParse(current);
  if (!result.success) {
    throw new InvalidEventPayloadError(
      type,
      result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; '),
    );
  }
  return result.data;
}

/** Narrows an envelope with an unknown payload to a typed FeedEvent (payload upcast and validated). */
export function toFeedEvent(envelope: EventEnvelope<string, unknown>): FeedEvent {
  const data = parseEventData(envelope.type, envelope.schemaVersion, envelope.data);
  const definition = eventCatalog[envelope.type as EventType];
  return { ...envelope, schemaVersion: definition.version, data } as FeedEvent;
}

export const currentSchemaVersion = (type: EventType): number => eventCatalog[type].version;
export const categoryOf = (type: EventType): EventCategory => eventCatalog[type].category;
