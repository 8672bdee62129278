import { type DatabaseSchema } from '@feedwerk/platform';
import { DeadLetters1764232600000 } from './1764232600000-dead-letters';

/** The transport's table: dead letters as consumers park them (see DeadLetterOffice). */
export const transportSchema: DatabaseSchema = { migrations: [DeadLetters1764232600000] };
