// The ticker protocol v1 as the widget sees it on the wire. Everything that arrives is checked
// here before the box uses it: a field of the wrong type drops the message, it never reaches the DOM.
// Only types come from @feedwerk/contracts (erased by the bundler): the bundle carries no zod.
import type { TickerChangeV1, TickerItemV1, TickerResync, TickerSubscribeAck } from '@feedwerk/contracts';

export type Lang = 'de' | 'en';

export interface TickerItem {
  readonly id: string;
  readonly kind: string;
  readonly icon: string | null;
  readonly text: string;
  readonly detail: string | null;
  readonly count: number;
  readonly order: number;
  readonly position: number;
  readonly at: string;
}

export type TickerChange =
  | { readonly op: 'upsert'; readonly position: number; readonly item: TickerItem }
  | { readonly op: 'retract'; readonly position: number; readonly id: string };

export type SubscribeAck =
  | {
      readonly ok: true;
      readonly mode: 'snapshot';
      readonly items: readonly TickerItem[];
      readonly head: number;
      /** The feed generation `head` belongs to; absent from a server without generations. */
      readonly generation?: number | undefined;
    }
  | {
      readonly ok: true;
      readonly mode: 'changes';
      readonly changes: readonly TickerChange[];
      readonly head: number;
      readonly generation?: number | undefined;
    }
  | { readonly ok: false; readonly error: string };

export interface Resync {
  readonly reason: string;
  readonly generation: number | undefined;
}

// Compile-time proof that every message of the contracts is one this reader accepts.
type Fits<T extends U, U> = T;
export type _ItemFits = Fits<TickerItemV1, TickerItem>;
export type _ChangeFits = Fits<TickerChangeV1, TickerChange>;
export type _AckFits = Fits<TickerSubscribeAck, SubscribeAck>;
export type _ResyncFits = Fits<TickerResync, { reason: string; generation?: number }>;

/** Longest text the box renders from one field; longer strings are cut, not trusted to wrap. */
const MAX_TEXT = 300;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isPosition = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isGeneration = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
const text = (value: unknown): string | null => (typeof value === 'string' ? value.slice(0, MAX_TEXT) : null);
const optionalText = (value: unknown): string | null | undefined =>
  value === null || value === undefined
    ? null
    : typeof value === 'string'
      ? value.slice(0, MAX_TEXT)
      : undefined;

export function parseItem(value: unknown): TickerItem | null {
  if (!isRecord(value)) return null;
  const id = text(value.id);
  const kind = text(value.kind);
  const line = text(value.text);
  const at = text(value.at);
  const icon = optionalText(value.icon);
  const detail = optionalText(value.detail);
  const { count, order, position } = value;
  if (id === null || id === '' || kind === null || line === null || at === null) return null;
  if (icon === undefined || detail === undefined) return null;
  if (!isPosition(order) || !isPosition(position)) return null;
  return {
    id,
    kind,
    icon,
    text: line,
    detail,
    count: typeof count === 'number' && Number.isSafeInteger(count) && count > 0 ? count : 1,
    order,
    position,
    at,
  };
}

export function parseChange(value: unknown): TickerChange | null {
  if (!isRecord(value) || !isPosition(value.position)) return null;
  if (value.op === 'upsert') {
    const item = parseItem(value.item);
    return item ? { op: 'upsert', position: value.position, item } : null;
  }
  if (value.op === 'retract' && typeof value.id === 'string') {
    return { op: 'retract', position: value.position, id: value.id };
  }
  return null;
}

const parseAll = <T>(values: unknown, parse: (value: unknown) => T | null): T[] | null =>
  Array.isArray(values) ? values.map(parse).filter((v): v is T => v !== null) : null;

export function parseAck(value: unknown): SubscribeAck | null {
  if (!isRecord(value)) return null;
  if (value.ok === false) return { ok: false, error: text(value.error) ?? 'refused' };
  if (value.ok !== true || !isPosition(value.head)) return null;
  const generation = isGeneration(value.generation) ? value.generation : undefined;
  if (value.mode === 'snapshot') {
    const items = parseAll(value.items, parseItem);
    return items ? { ok: true, mode: 'snapshot', items, head: value.head, generation } : null;
  }
  if (value.mode === 'changes') {
    const changes = parseAll(value.changes, parseChange);
    return changes ? { ok: true, mode: 'changes', changes, head: value.head, generation } : null;
  }
  return null;
}

/** `ticker.resync`: whatever its payload, the client subscribes again for a fresh snapshot. */
export function parseResync(value: unknown): Resync {
  if (!isRecord(value)) return { reason: 'unknown', generation: undefined };
  return {
    reason: text(value.reason) ?? 'unknown',
    generation: isGeneration(value.generation) ? value.generation : undefined,
  };
}
