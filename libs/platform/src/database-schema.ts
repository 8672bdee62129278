import { type Provider } from '@nestjs/common';
import { type MigrationInterface } from 'typeorm';

/** A TypeORM migration class; its name ends in the timestamp that orders it. */
export type MigrationClass = new () => MigrationInterface;
/** A TypeORM entity class. */
export type EntityClass = abstract new (...args: never[]) => object;

/**
 * The tables one lib or app owns: its migrations and, where it maps rows to classes, its entities.
 * Each lib exports its own; an app lists the ones it runs, and the platform opens the database with
 * their union (TypeORM runs migrations in timestamp order, whichever part they came from).
 */
export interface DatabaseSchema {
  readonly migrations: readonly MigrationClass[];
  readonly entities?: readonly EntityClass[];
}

/** Modules provide this token (see provideDatabaseSchema); the platform migrates the union of all of them. */
export const DATABASE_SCHEMA = Symbol('DatabaseSchema');

/** One schema from several parts; a part named twice (several apps in one process) counts once. */
export function mergeSchemas(parts: readonly DatabaseSchema[]): Required<DatabaseSchema> {
  return {
    migrations: [...new Set(parts.flatMap((part) => part.migrations))],
    entities: [...new Set(parts.flatMap((part) => part.entities ?? []))],
  };
}

/**
 * What an app module lists in its providers: the schema parts this process migrates at start, besides
 * those its modules bring (the platform's own, the event store's, the transport's). Every app lists the
 * whole shared schema, so whichever starts first leaves no table missing; the admin app adds its own.
 */
export const provideDatabaseSchema = (...parts: readonly DatabaseSchema[]): Provider => ({
  provide: DATABASE_SCHEMA,
  useValue: mergeSchemas(parts),
});
