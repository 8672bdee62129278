import {
  type DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { ConfigModule } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import { ConfigurationError, FEEDWERK_CONFIG, type FeedwerkConfig, loadConfig } from './config';
import { contributionsOf } from './contributions';
import { openDatabase, type OpenedDatabase } from './database';
import { DATABASE_SCHEMA, type DatabaseSchema, mergeSchemas, provideDatabaseSchema } from './database-schema';
import { createLogger } from './logger';
import { HealthController, MetricsController } from './http/health.controller';
import { platformSchema } from './migrations';
import { ConsumerHealth } from './ops/consumer-health';
import { FeedwerkMetrics } from './ops/metrics';
import { OPS_LOGGER, OpsMonitor } from './ops/ops-monitor';

export const OPENED_DATABASE = Symbol('OpenedDatabase');
export const ROOT_LOGGER = Symbol('RootLogger');

export interface PlatformOptions {
  /** The app's name (logs, PostgreSQL application_name, Kafka client id). */
  readonly app: string;
  /** Apps that only run against Kafka and a PostgreSQL server say so; the standalone app embeds both. */
  readonly requires: readonly ('postgres' | 'kafka')[];
  /** Settings that win over the environment (tests: PORT=0, a temporary DATA_DIR, ...). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Closes the database last: after every app component has stopped (onModuleDestroy) and the
 * transport has closed (libs/transport closes it before application shutdown), since both use it.
 */
@Injectable()
class PlatformLifecycle implements OnApplicationShutdown {
  constructor(@Inject(OPENED_DATABASE) private readonly database: OpenedDatabase) {}

  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
  }
}

/** The union of the schemas the modules provide; an app that provides none of its own is a wiring mistake. */
function composedSchema(modules: ModulesContainer, app: string): Required<DatabaseSchema> {
  const schema = mergeSchemas(contributionsOf<DatabaseSchema>(modules, DATABASE_SCHEMA));
  if (schema.migrations.every((migration) => platformSchema.migrations.includes(migration))) {
    throw new ConfigurationError(
      `the ${app} app provides no database schema (provideDatabaseSchema in its module)`,
    );
  }
  return schema;
}

export function resolveConfig(options: PlatformOptions): FeedwerkConfig {
  return validateFor(options, { ...process.env, ...options.env });
}

/**
 * @nestjs/config copies every enumerable key of the validated config into process.env. Several
 * apps share a process (the standalone app, tests with their own DATA_DIR or DATABASE_URL), so one
 * app's settings must not become the next one's environment: the keys stay readable through
 * ConfigService but are not enumerable.
 */
function hiddenFromProcessEnv(config: FeedwerkConfig): FeedwerkConfig {
  const hidden = {};
  for (const [name, value] of Object.entries(config)) {
    Object.defineProperty(hidden, name, { value, enumerable: false });
  }
  return hidden as FeedwerkConfig;
}

/** The schema check plus what this app requires; @nestjs/config's `validate` runs exactly this. */
function validateFor(options: PlatformOptions, env: Readonly<Record<string, unknown>>): FeedwerkConfig {
  const strings = Object.fromEntries(
    Object.entries(env).map(([name, value]) => [name, typeof value === 'string' ? value : undefined]),
  );
  const config = loadConfig(strings);
  const missing = [
    options.requires.includes('postgres') && !config.DATABASE_URL ? 'DATABASE_URL' : null,
    options.requires.includes('kafka') && !config.KAFKA_BROKERS ? 'KAFKA_BROKERS' : null,
  ].filter((name): name is string => name !== null);
  if (missing.length > 0) {
    throw new ConfigurationError(
      `invalid configuration:\n${missing.map((name) => `  ${name}: required by the ${options.app} app`).join('\n')}\n` +
        '(only the standalone app runs without them, on its embedded database and in-process transport)',
    );
  }
  return config;
}

/** A request as log lines show it: what was asked and by whom, no headers. */
const requestForLogs = (req: { id?: unknown; method?: string; url?: string; remoteAddress?: string }) => ({
  id: req.id,
  method: req.method,
  url: req.url,
  remoteAddress: req.remoteAddress,
});

/**
 * What every app stands on: validated configuration, logging, metrics, health and PostgreSQL (a
 * server or the embedded PGlite) migrated to the schema the app's modules provide. The libs bring
 * their own modules (the event store, the message transport); the platform knows none of them. Global,
 * so app modules inject these without importing the platform themselves.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformOptions, config: FeedwerkConfig = resolveConfig(options)): DynamicModule {
    const logger = createLogger(config, options.app);
    const metrics = new FeedwerkMetrics(options.app);
    const consumers = new ConsumerHealth(config.HEALTH_CONSUMER_STALL_MS);
    return {
      module: PlatformModule,
      imports: [
        // ConfigService<FeedwerkConfig> for modules that prefer it; the same schema validates. No .env
        // file is read: settings come from the environment (compose's env_file, the orchestrator).
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          validate: (env) => hiddenFromProcessEnv(validateFor(options, { ...env, ...options.env })),
        }),
        LoggerModule.forRoot({
          pinoHttp: {
            logger,
            customProps: (req) => ({ correlationId: (req as { id?: unknown }).id }),
            // Every request gets a child logger bound to its `req` (serialized and redacted when the
            // request arrives, logged or not): without the headers that is a small fraction of the
            // cost per request (issue 8), and credentials stay out of the logs by construction.
            serializers: { req: requestForLogs },
            autoLogging: config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace',
          },
        }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: FEEDWERK_CONFIG, useValue: config },
        { provide: ROOT_LOGGER, useValue: logger },
        { provide: OPS_LOGGER, useValue: logger.child({ component: 'ops' }) },
        { provide: FeedwerkMetrics, useValue: metrics },
        { provide: ConsumerHealth, useValue: consumers },
        OpsMonitor,
        provideDatabaseSchema(platformSchema),
        {
          provide: OPENED_DATABASE,
          useFactory: (modules: ModulesContainer) =>
            openDatabase(config, logger, `feedwerk-${options.app}`, composedSchema(modules, options.app)),
          inject: [ModulesContainer],
        },
        {
          provide: DataSource,
          useFactory: (db: OpenedDatabase) => db.dataSource,
          inject: [OPENED_DATABASE],
        },
        PlatformLifecycle,
      ],
      exports: [
        FEEDWERK_CONFIG,
        ROOT_LOGGER,
        OPENED_DATABASE,
        DataSource,
        FeedwerkMetrics,
        ConsumerHealth,
        OpsMonitor,
      ],
    };
  }
}
