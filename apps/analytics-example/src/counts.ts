/**
 * What the reference consumer counts: public records by event type (ce_type), portal, region and
 * hour (from ce_time). Written against the public message format only (JSON value, CloudEvents
 * binary headers), as an external team would: no Feedwerk code.
 */
export interface CountKey {
  readonly type: string;
  readonly portal: string;
  readonly region: string;
  /** ISO hour, e.g. 2026-11-27T07:00Z. */
  readonly hour: string;
}

export interface CountRow extends CountKey {
  readonly count: number;
}

/** Shown where a record has no portal or region (e.g. EmployerRegistered, a CV without region). */
export const NONE = '-';

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;
const object = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

/** `2026-11-27T07:42:10.123Z` → `2026-11-27T07:00Z`; null for a missing or unreadable time. */
export function hourOf(time: string | undefined): string | null {
  if (!time) return null;
  const at = new Date(time);
  if (Number.isNaN(at.getTime())) return null;
  return `${at.toISOString().slice(0, 13)}:00Z`;
}

/**
 * The count keys one record adds to: one per portal (JobsRefreshed lists several; the activity
 * topic carries its item's portal), region from `region`, `location.region` or the item's. null:
 * not countable (no type or time, or a value that is not a JSON object) — the caller skips it.
 */
export function countKeys(headers: { type?: string; time?: string }, value: unknown): CountKey[] | null {
  const type = text(headers.type);
  const hour = hourOf(headers.time);
  const data = object(value);
  if (!type || !hour || !data) return null;
  const item = object(data['item']);
  const region =
    text(data['region']) ?? text(object(data['location'])?.['region']) ?? text(item?.['region']) ?? NONE;
  const listed = Array.isArray(data['portals'])
    ? data['portals'].map((p) => text(object(p)?.['portal'])).filter((p): p is string => p !== undefined)
    : [];
  const portals =
    listed.length > 0 ? [...new Set(listed)] : [text(data['portal']) ?? text(item?.['portal']) ?? NONE];
  return portals.map((portal) => ({ type, portal, region, hour }));
}

export const keyOf = (k: CountKey): string => JSON.stringify([k.type, k.portal, k.region, k.hour]);

/** Rows sorted newest hour first, then by type, portal and region. */
export function toRows(counts: Readonly<Record<string, number>>): CountRow[] {
  return Object.entries(counts)
    .map(([key, count]) => {
      const [type = '', portal = '', region = '', hour = ''] = JSON.parse(key) as string[];
      return { type, portal, region, hour, count };
    })
    .sort(
      (a, b) =>
        b.hour.localeCompare(a.hour) ||
        a.type.localeCompare(b.type) ||
        a.portal.localeCompare(b.portal) ||
        a.region.localeCompare(b.region),
    );
}
