import { hostname } from 'node:os';
import { z } from 'zod';

const flag = z
  .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1');
// Each check its own message: a schema-wide one would call 5 "not a number" when it is below the minimum.
const int = (min: number, max: number) =>
  z.coerce
    .number({ message: 'must be a number' })
    .int({ message: 'must be a whole number' })
    .min(min, { message: `must be at least ${min}` })
    .max(max, { message: `must be at most ${max}` });

/**
 * Every setting Feedwerk reads, validated at start-up. A wrong or missing setting stops the process
 * with a message that names it (see .env.example for the documented list).
 */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** HTTP port; 0 picks a free one (tests). */
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Embedded default only: where PGlite keeps its files. */
  DATA_DIR: z.string().min(1).default('./data'),
  /** PostgreSQL; unset means the embedded PGlite database (standalone app only). */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// URL' })
    .optional(),
  DATABASE_POOL_SIZE: int(1, 200).default(10),
  DATABASE_STATEMENT_TIMEOUT_MS: int(100, 600_000).default(15_000),
  /**
   * The server ends a session that sits idle inside a transaction this long (rolling it back). Readers
   * of the store (the relay) wait behind the oldest open append, so this bounds how long a frozen
   * appender (a paused VM, a stopped process) can stall the feed.
   */
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: int(1_000, 600_000).default(10_000),
  MIGRATIONS_RUN: flag.default(true),
  /** Comma-separated host:port list; unset means the in-process transport (standalone app only). */
  KAFKA_BROKERS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    )
    .pipe(
      z
        .array(z.string().regex(/^[^\s:]+:\d{1,5}$/, { message: 'each broker must be host:port' }))
        .min(1, { message: 'must list at least one broker' }),
    )
    .optional(),
  KAFKA_CLIENT_ID: z.string().min(1).default('feedwerk'),
  /**
   * SASL for a secured cluster (docs/kafka-security.md): each app its own SCRAM user. Unset: no SASL.
   * KAFKA_SSL=true for SASL_SSL (production); SASL over plaintext is for loopback tests only.
   */
  KAFKA_SASL_MECHANISM: z.enum(['scram-sha-512', 'scram-sha-256']).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  KAFKA_SSL: flag.default(false),
  /**
   * How often consumers commit their offsets (0: after every batch). Consumers keep their own
   * checkpoints and are idempotent, so a commit is only where a restarted consumer starts reading;
   * committing once a second instead of per batch takes a broker round trip out of every batch.
   */
  KAFKA_COMMIT_INTERVAL_MS: int(0, 60_000).default(1_000),
  TOPIC_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9._-]*$/, { message: 'may contain only letters, digits, ".", "_" and "-"' })
    .default(''),
  TOPIC_PARTITIONS: int(1, 1000).default(6),
  TOPIC_REPLICATION_FACTOR: int(1, 10).default(1),
  /**
   * The public (analytics) topics `feedwerk.public.*`: a product with its own layout. Checked at
   * start-up like the internal ones; their partition count is never changed (it remaps keys).
   */
  PUBLIC_TOPIC_PARTITIONS: int(1, 1000).default(6),
  PUBLIC_TOPIC_REPLICATION_FACTOR: int(1, 10).default(1),
  /** How long analytics can re-read a public topic; -1 keeps records forever. Default 30 days. */
  PUBLIC_TOPIC_RETENTION_MS: int(-1, Number.MAX_SAFE_INTEGER)
    .refine((ms) => ms === -1 || ms >= 60_000, { message: 'must be -1 (forever) or at least 60000' })
    .default(2_592_000_000),
  RELAY_BATCH_SIZE: int(1, 10_000).default(500),
  RELAY_IDLE_POLL_MS: int(5, 60_000).default(250),
  TICKER_NODE_ID: z
    .string()
    .regex(/^[a-zA-Z0-9._-]+$/, { message: 'may contain only letters, digits, ".", "_" and "-"' })
    .default(`${hostname()}-${process.pid}`),
  /** Where uploaded CVs are kept (local blob store); default `<DATA_DIR>/blobs`. Shared by every api instance. */
  BLOB_DIR: z.string().min(1).optional(),
  /** Optional base64 256-bit key that wraps the candidates' data keys at rest (crypto-shredding). */
  PRIVACY_MASTER_KEY: z
    .base64({ message: 'must be base64' })
    .refine((value) => Buffer.from(value, 'base64').length === 32, { message: 'must be 32 bytes (base64)' })
    .optional(),
  /**
   * Admin credentials (comma-separated bearer tokens, at least 32 characters each) for admin-only
   * commands such as PublishBlogPost. None configured: admin endpoints refuse everyone.
   */
  ADMIN_TOKENS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z.string().regex(/^[A-Za-z0-9._~+/=-]{32,256}$/, {
          message:
            'each admin token must be 32-256 characters of A-Z, a-z, 0-9, ".", "_", "~", "+", "/", "=", "-"',
        }),
      ),
    )
    .default([]),
  /** Requests per window per client IP (every api route), and per API key / admin token. */
  RATE_LIMIT_PER_IP: int(1, 10_000_000).default(6_000),
  RATE_LIMIT_PER_KEY: int(1, 10_000_000).default(3_000),
  RATE_LIMIT_WINDOW_MS: int(1_000, 86_400_000).default(60_000),
  /** How long an api process trusts a verified employer API key before reading it again (0: never). */
  API_KEY_CACHE_TTL_MS: int(0, 60_000).default(5_000),
  /** Idempotency keys older than this are purged (a retry after that appends again). */
  IDEMPOTENCY_TTL_HOURS: int(1, 24 * 90).default(24),
  /** Postings (and CV uploads) on one portal within this window (event times) become one ticker item. */
  TICKER_BURST_WINDOW_MS: int(0, 86_400_000).default(60_000),
  /**
   * Which page origins may open the ticker, per portal: `portal=origin,origin;*=origin`. `*` as the
   * portal applies to every portal; `*` as an origin allows any. The default allows any origin (the
   * embedded demo and widget test pages); set it in production.
   */
  TICKER_ALLOWED_ORIGINS: z
    .string()
    .default('*=*')
    .transform((value, ctx) => {
      const parsed = parseAllowedOrigins(value);
      if (typeof parsed === 'string') {
        ctx.addIssue({ code: 'custom', message: parsed });
        return z.NEVER;
      }
      return parsed;
    }),
  /** Open ticker connections (socket.io and SSE) per client IP. */
  TICKER_MAX_CONNECTIONS_PER_IP: int(1, 1_000_000).default(50),
  /** Messages queued for one ticker client before it is told to resync instead (slow clients). */
  TICKER_CLIENT_BUFFER: int(1, 100_000).default(256),
  /** Resuming further behind the head than this many changes gets a snapshot instead. */
  TICKER_MAX_CATCH_UP: int(1, 1_000_000).default(1_000),
  TICKER_PING_INTERVAL_MS: int(100, 600_000).default(25_000),
  TICKER_PING_TIMEOUT_MS: int(100, 600_000).default(20_000),
  TICKER_SSE_HEARTBEAT_MS: int(100, 600_000).default(15_000),
  /** Events a read-model rebuild reads per batch (jobs: per transaction; activity checkpoints every 200,000). */
  REBUILD_BATCH_SIZE: int(1, 1_000_000).default(5_000),
  /** Folder of the built widget (widget.js + widget.json); unset: the ticker app's own public folder. */
  WIDGET_DIR: z.string().min(1).optional(),
  /** Folder of the built admin page (scripts/build-admin-page.mjs); unset: the admin app's own public folder. */
  ADMIN_PAGE_DIR: z.string().min(1).optional(),
  /** How often lags, the store head and the transport's health are measured for /metrics and readiness. */
  METRICS_REFRESH_MS: int(500, 600_000).default(5_000),
  /** A consumer group that fails, or has lag without handling a batch, this long is not ready. */
  HEALTH_CONSUMER_STALL_MS: int(1_000, 3_600_000).default(30_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Allowed page origins per portal; the key `*` applies to every portal, the origin `*` allows any. */
export type AllowedOrigins = ReadonlyMap<string, ReadonlySet<string>>;

/** Parses `berlin=https://a.example,https://b.example;*=http://localhost:3000`, or says what is wrong. */
export function parseAllowedOrigins(value: string): AllowedOrigins | string {
  const map = new Map<string, Set<string>>();
  for (const entry of value
    .split(';')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    const portal = entry.slice(0, eq).trim();
    if (eq < 0 || !/^(\*|[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?)$/.test(portal)) {
      return `"${entry}" must be portal=origin[,origin] (portal a slug or *)`;
    }
    const origins = map.get(portal) ?? new Set<string>();
    for (const origin of entry
      .slice(eq + 1)
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean)) {
      if (origin !== '*') {
        let url: URL;
        try {
          url = new URL(origin);
        } catch {
          return `"${origin}" is not an origin (scheme://host[:port])`;
        }
        if (url.origin !== origin) return `"${origin}" is not an origin (scheme://host[:port], no path)`;
      }
      origins.add(origin);
    }
    map.set(portal, origins);
  }
  return map;
}

export type FeedwerkConfig = z.output<typeof configSchema>;
export const FEEDWERK_CONFIG = Symbol('FeedwerkConfig');

export class ConfigurationError extends Error {}

/** Parses the environment; empty strings count as unset. Throws ConfigurationError naming each bad setting. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): FeedwerkConfig {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = configSchema.safeParse(present);
  if (!result.success) {
    const lines = result.error.issues.map(
      (issue) => `  ${issue.path.join('.') || '(config)'}: ${issue.message}`,
    );
    throw new ConfigurationError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const sasl = ['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const;
  const missingSasl = sasl.filter((name) => result.data[name] === undefined);
  // Half a SASL setting would silently connect without authentication, and then fail on every ACL.
  if (missingSasl.length > 0 && missingSasl.length < sasl.length) {
    throw new ConfigurationError(
      `invalid configuration:\n${missingSasl.map((name) => `  ${name}: required when any KAFKA_SASL_* is set`).join('\n')}`,
    );
  }
  return result.data;
}
