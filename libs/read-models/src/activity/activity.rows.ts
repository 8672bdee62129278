import { type TickerChangeRecord, type TickerItemRecord, type TickerKind } from '@feedwerk/contracts';
import { type ActivityItem } from './activity.fold';

/** The activity tables' rows as PostgreSQL answers them, and their conversions. */

export interface ChangeRow {
  position: string;
  op: TickerChangeRecord['op'];
  item_id: string;
  kind: TickerKind;
  previous_kind: TickerKind | null;
  portal: string | null;
  region: TickerItemRecord['region'];
  category: string | null;
  count: number;
  item_order: string;
  at: Date;
}

export interface ItemRow {
  id: string;
  kind: TickerKind;
  portal: string | null;
  region: TickerItemRecord['region'];
  category: string | null;
  count: number;
  item_order: string;
  position: string;
  at: Date;
  started_at: Date;
  retracted: boolean;
}

export const ITEM_COLUMNS =
  'id, kind, portal, region, category, count, item_order, position, at, started_at, retracted';

export const CHANGE_COLUMNS =
  'position, op, item_id, kind, previous_kind, portal, region, category, count, item_order, at';

/** The public fields of an item row (the change log and the items table hold the same ones). */
const recordOf = (row: ChangeRow | ItemRow, id: string): TickerItemRecord => ({
  id,
  kind: row.kind,
  count: row.count,
  portal: row.portal,
  region: row.region,
  category: row.category,
  order: Number(row.item_order),
  position: Number(row.position),
  at: row.at.toISOString(),
});

export const toChange = (row: ChangeRow): TickerChangeRecord => ({
  op: row.op,
  position: Number(row.position),
  previousKind: row.previous_kind,
  item: recordOf(row, row.item_id),
});

export const toItem = (row: ItemRow): ActivityItem => ({
  ...recordOf(row, row.id),
  startedAt: row.started_at.toISOString(),
  retracted: row.retracted,
});

/** The public record of an item (what subscribers see). */
export const stripInternal = ({ startedAt: _s, retracted: _r, ...record }: ActivityItem): TickerItemRecord =>
  record;

/** Change records as the column arrays of an `unnest` insert into the change log. */
export const changeColumns = (
  changes: readonly TickerChangeRecord[],
  causes: readonly string[],
): unknown[] => [
  changes.map((c) => c.position),
  changes.map((c) => c.op),
  changes.map((c) => c.item.id),
  changes.map((c) => c.item.kind),
  changes.map((c) => c.previousKind),
  changes.map((c) => c.item.portal),
  changes.map((c) => c.item.region),
  changes.map((c) => c.item.category),
  changes.map((c) => c.item.count),
  changes.map((c) => c.item.order),
  changes.map((c) => c.item.at),
  causes,
];
