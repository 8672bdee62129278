import { type Lang } from './wire';

export type Status = 'connecting' | 'live' | 'reconnecting' | 'error';

interface Strings {
  readonly title: string;
  readonly loading: string;
  readonly empty: string;
  readonly status: Readonly<Record<Status, string>>;
}

/** The widget's own words (the lines themselves come rendered from the server in the same language). */
export const STRINGS: Readonly<Record<Lang, Strings>> = {
  de: {
    title: 'Neueste Aktivitäten',
    loading: 'Aktivitäten werden geladen …',
    empty: 'Noch keine Aktivitäten.',
    status: {
      connecting: 'Verbinde …',
      live: 'Live',
      reconnecting: 'Verbindung wird wiederhergestellt …',
      error: 'Vorübergehend nicht verfügbar',
    },
  },
  en: {
    title: 'Latest activity',
    loading: 'Loading activity …',
    empty: 'No activity yet.',
    status: {
      connecting: 'Connecting …',
      live: 'Live',
      reconnecting: 'Reconnecting …',
      error: 'Temporarily unavailable',
    },
  },
};
