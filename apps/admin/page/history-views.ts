/*
 * The history routes' answers, as the admin app's server declares them. Type-only: esbuild erases
 * these imports, so nothing of the server reaches the browser bundle.
 */
export type { AdminEventView as EventView, EventPage, PageCursor } from '../src/history/history.reader';
export type {
  AggregateStateView as StateView,
  BoxAtView as BoxView,
  StreamHistory,
} from '../src/history/history.service';
