import { type DatabaseSchema } from '@feedwerk/platform';
import { Activity1764230500000 } from './migrations/1764230500000-activity';
import { Jobs1764231000000 } from './migrations/1764231000000-jobs';
import { ActivityV21764231400000 } from './migrations/1764231400000-activity-v2';
import { Generations1764232000000 } from './migrations/1764232000000-generations';

/** The read models' tables: the projections' own, their checkpoints and the generation switch. */
export const readModelSchema: DatabaseSchema = {
  migrations: [Activity1764230500000, Jobs1764231000000, ActivityV21764231400000, Generations1764232000000],
};
