import { type DatabaseSchema } from '@feedwerk/platform';
import { Privacy1764230700000 } from './migrations/1764230700000-privacy';

/** The privacy tables beside the event log: candidate keys (crypto-shredding) and candidate tokens. */
export const privacySchema: DatabaseSchema = { migrations: [Privacy1764230700000] };
