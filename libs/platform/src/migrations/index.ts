import { type DatabaseSchema } from '../database-schema';
import { Credentials1764230600000 } from './1764230600000-credentials';

/** The platform's own table: employer API keys, whose format auth/api-keys.ts defines. */
export const platformSchema: DatabaseSchema = { migrations: [Credentials1764230600000] };
