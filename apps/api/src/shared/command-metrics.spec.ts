import 'reflect-metadata';
import { RequestMethod, type Type } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA, MODULE_METADATA } from '@nestjs/common/constants';
import { ApiModule } from '../api.module';
import { CandidatesModule } from '../candidates/candidates.module';
import { CountCommand } from './command-metrics';

const controllersOf = (module: Type<unknown>): Type<unknown>[] =>
  (Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, module) as Type<unknown>[] | undefined) ?? [];

/** Every route that changes something is a command: its last guard must be CountCommand, or it is not counted. */
describe('command metrics', () => {
  const routes = [ApiModule, CandidatesModule].flatMap(controllersOf).flatMap((controller) => {
    const prototype = controller.prototype as Record<string, unknown>;
    return Object.getOwnPropertyNames(prototype).flatMap((name) => {
      const handler = prototype[name];
      if (name === 'constructor' || typeof handler !== 'function') return [];
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) return [];
      const guards = [
        ...((Reflect.getMetadata(GUARDS_METADATA, controller) as unknown[] | undefined) ?? []),
        ...((Reflect.getMetadata(GUARDS_METADATA, handler) as unknown[] | undefined) ?? []),
      ];
      return [{ route: `${controller.name}.${name}`, method, lastGuard: guards.at(-1) }];
    });
  });

  it('finds the command routes', () => {
    expect(routes.filter((r) => r.method !== RequestMethod.GET).length).toBeGreaterThanOrEqual(9);
  });

  it('counts every command: CountCommand is the last guard of each POST, PATCH and DELETE route', () => {
    const uncounted = routes
      .filter((r) => r.method !== RequestMethod.GET && r.lastGuard !== CountCommand)
      .map((r) => r.route);
    expect(uncounted).toEqual([]);
  });

  it('counts no read', () => {
    const counted = routes
      .filter((r) => r.method === RequestMethod.GET && r.lastGuard === CountCommand)
      .map((r) => r.route);
    expect(counted).toEqual([]);
  });
});
