import { Module, type Type } from '@nestjs/common';
import { startHttpApp, type StartedApp } from './http/bootstrap';
import { PlatformModule, type PlatformOptions, resolveConfig } from './platform.module';

/** Starts one app: its module on top of the platform, served over HTTP. Used by every main.ts and by e2e tests. */
export async function startApp(options: PlatformOptions, appModule: Type<unknown>): Promise<StartedApp> {
  const config = resolveConfig(options);

  @Module({ imports: [PlatformModule.forRoot(options, config), appModule] })
  class RootModule {}

  return startHttpApp(RootModule, config);
}
