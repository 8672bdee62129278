import type { Actor } from '@feedwerk/contracts';
import { h } from './dom';

/** A datetime-local value (the admin's zone) as an ISO time with zone, or undefined when empty. */
export const isoFrom = (value: string): string | undefined =>
  value ? new Date(value).toISOString() : undefined;

/** The next full second in the admin's zone: the input has seconds, and "now" must include this one. */
export function nowLocal(now = new Date()): string {
  const next = new Date(now);
  next.setSeconds(next.getSeconds() + 1);
  next.setMinutes(next.getMinutes() - next.getTimezoneOffset());
  return next.toISOString().slice(0, 19);
}

/** A payload as indented JSON text. Focusable: a long one scrolls, and keyboard users must scroll it too. */
export const json = (value: unknown): HTMLPreElement =>
  h('pre', { class: 'json', tabindex: 0 }, JSON.stringify(value, null, 2));

export const actorText = (actor: Actor | null): string =>
  actor ? `${actor.kind}${actor.id ? ` ${actor.id}` : ''}` : '';

/** A rate for the charts: whole numbers from 100 on, one decimal below, a dash when unknown. */
export const formatRate = (n: number | null | undefined): string =>
  typeof n !== 'number' ? '–' : n >= 100 ? String(Math.round(n)) : String(Math.round(n * 10) / 10);
