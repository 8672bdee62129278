import { type z } from 'zod';

/** The topic family an event is published on (`feedwerk.events.<category>.v1`). */
export type EventCategory = 'jobs' | 'employers' | 'candidates' | 'content' | 'admin';

/** Lifts a payload from schema version `n` to `n + 1`. Pure, total, no defaults invented silently. */
export type Upcaster = (payload: Record<string, unknown>) => Record<string, unknown>;

export interface EventDefinition<TType extends string, TSchema extends z.ZodType> {
  readonly type: TType;
  /** The current schema version; older stored or published versions are upcast to it on read. */
  readonly version: number;
  readonly category: EventCategory;
  readonly schema: TSchema;
  /** `upcasters[n]` turns version n into n + 1, for every n below `version`. */
  readonly upcasters: Readonly<Record<number, Upcaster>>;
  /** The business fact, and who reads it. */
  readonly description: string;
}

export function defineEvent<TType extends string, TSchema extends z.ZodType>(
  definition: Omit<EventDefinition<TType, TSchema>, 'upcasters'> & {
    upcasters?: Readonly<Record<number, Upcaster>>;
  },
): EventDefinition<TType, TSchema> {
  const upcasters = definition.upcasters ?? {};
  for (let v = 1; v < definition.version; v += 1) {
    if (!upcasters[v]) throw new Error(`${definition.type}: missing upcaster from v${v} to v${v + 1}`);
  }
  return { ...definition, upcasters };
}
