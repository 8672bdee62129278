import { type DatabaseSchema } from '@feedwerk/platform';
import { Republishes1764232200000 } from './1764232200000-republishes';

/** The admin app's own table: republish runs (see RepublishService). */
export const adminSchema: DatabaseSchema = { migrations: [Republishes1764232200000] };
