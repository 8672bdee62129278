/**
 * Bounds on an ordered column, each optional: `from` and `upTo` include the bound, `after` and
 * `before` exclude it.
 */
export interface Bounds<T> {
  readonly from?: T;
  readonly after?: T;
  readonly before?: T;
  readonly upTo?: T;
}

/**
 * Which events a range query reads (the history browser, its export, a republish). Every field
 * given narrows the range (AND); none given, every event. Each field is served by an index of
 * `events` (see the migrations), so a filter on a large store does not scan it.
 */
export interface EventRange {
  /** `global_position` (the insertion sequence, what a history page cursor holds). */
  readonly positions?: Bounds<number>;
  /** `occurred_at` (the time the command was decided). */
  readonly occurred?: Bounds<Date>;
  readonly types?: readonly string[];
  readonly streamId?: string;
  readonly correlationId?: string;
  /** Events about a portal: a `portal` in the payload, or a bulk refresh naming it in its `portals` list. */
  readonly portal?: string;
  /**
   * Leaves out the events of `type` whose stream also holds an event of type `inStreamsWith`
   * (an erased candidate's CV uploads must not come back in a backfill).
   */
  readonly omit?: { readonly type: string; readonly inStreamsWith: string };
}

export type RangeOrder = 'oldest-first' | 'newest-first';

/**
 * The SQL conditions of a range over `events e`, as a list to AND together. Parameters are pushed
 * onto `params` (numbered after those already there), so callers can put their own first.
 */
export function rangeConditions(range: EventRange, params: unknown[]): string[] {
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const conditions = [
    ...boundConditions('e.global_position', range.positions, param),
    ...boundConditions('e.occurred_at', range.occurred, (at: Date) => param(at.toISOString())),
  ];
  if (range.types) conditions.push(`e.type = ANY(${param(range.types)}::text[])`);
  if (range.streamId !== undefined) conditions.push(`e.stream_id = ${param(range.streamId)}`);
  if (range.correlationId !== undefined)
    conditions.push(`e.metadata->>'correlationId' = ${param(range.correlationId)}`);
  if (range.portal !== undefined) {
    const p = param(range.portal);
    // The type test lets the planner answer the list's branch from the type index (a bitmap OR
    // with the portal index) instead of reading every row's payload.
    conditions.push(
      `(e.data->>'portal' = ${p} OR (e.type = 'JobsRefreshed' AND e.data->'portals' @> jsonb_build_array(jsonb_build_object('portal', ${p}::text))))`,
    );
  }
  if (range.omit) {
    conditions.push(
      `NOT (e.type = ${param(range.omit.type)} AND EXISTS (
         SELECT 1 FROM events x WHERE x.stream_id = e.stream_id AND x.type = ${param(range.omit.inStreamsWith)}))`,
    );
  }
  return conditions;
}

function boundConditions<T>(
  column: string,
  bounds: Bounds<T> | undefined,
  param: (value: T) => string,
): string[] {
  if (!bounds) return [];
  const conditions: string[] = [];
  if (bounds.from !== undefined) conditions.push(`${column} >= ${param(bounds.from)}`);
  if (bounds.after !== undefined) conditions.push(`${column} > ${param(bounds.after)}`);
  if (bounds.before !== undefined) conditions.push(`${column} < ${param(bounds.before)}`);
  if (bounds.upTo !== undefined) conditions.push(`${column} <= ${param(bounds.upTo)}`);
  return conditions;
}
