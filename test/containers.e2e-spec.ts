import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '@feedwerk/platform';
import { parse } from 'yaml';

const root = resolve(__dirname, '..');

interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string | number>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

/** `${NAME:-default}` as compose resolves it when NAME is unset. */
const interpolate = (value: string | number) =>
  String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, (_match, fallback: string) => fallback);

/**
 * No Docker engine runs here, so docker/ is checked by reading it: every app container runs a
 * command that the build produces, with settings the apps accept, and a health check on the
 * readiness endpoint. The commands themselves run as processes in operations.e2e-spec.ts and
 * kafka-outage.e2e-spec.ts.
 */
describe('docker/: the compose file and the Dockerfile', () => {
  // merge: compose's `<<: *app` anchors (YAML 1.1 merge keys).
  const compose = parse(readFileSync(join(root, 'docker/compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, Service>;
  };
  const apps = Object.entries(compose.services).filter(([, s]) => s.image === 'feedwerk:local');

  it('runs Kafka in KRaft mode, PostgreSQL, api, relay, projector, admin and two ticker nodes', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['admin', 'api', 'kafka', 'postgres', 'projector', 'relay', 'ticker-1', 'ticker-2'].sort(),
    );
    const kafka = compose.services['kafka']!.environment!;
    expect(kafka['KAFKA_PROCESS_ROLES']).toBe('broker,controller');
    expect(kafka['KAFKA_CONTROLLER_QUORUM_VOTERS']).toBe('1@kafka:9093');
    expect(kafka['KAFKA_AUTO_CREATE_TOPICS_ENABLE']).toBe('false');
    expect(compose.services['kafka']!.healthcheck?.test.join(' ')).toContain('kafka-broker-api-versions.sh');
    expect(compose.services['postgres']!.healthcheck?.test.join(' ')).toContain('pg_isready');
  });

  it('starts every app from a file the build produces, after healthy PostgreSQL and Kafka', () => {
    expect(apps.map(([name]) => name).sort()).toEqual(
      ['admin', 'api', 'projector', 'relay', 'ticker-1', 'ticker-2'].sort(),
    );
    for (const [name, service] of apps) {
      const [node, main] = service.command ?? [];
      expect({ name, node }).toEqual({ name, node: 'node' });
      const source = /^dist\/(apps\/[a-z-]+\/src\/main)\.js$/.exec(main ?? '')?.[1];
      expect({ name, source: source && existsSync(join(root, `${source}.ts`)) }).toEqual({
        name,
        source: true,
      });
      expect(service.depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        kafka: { condition: 'service_healthy' },
      });
      expect(service.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:3000/health/ready');
    }
  });

  it('gives every app settings its configuration accepts; the ticker nodes each their own node id', () => {
    for (const [name, service] of apps) {
      const env = Object.fromEntries(
        Object.entries(service.environment ?? {}).map(([key, value]) => [key, interpolate(value)]),
      );
      const config = loadConfig(env);
      expect({
        name,
        port: config.PORT,
        db: Boolean(config.DATABASE_URL),
        kafka: config.KAFKA_BROKERS,
      }).toEqual({
        name,
        port: 3000,
        db: true,
        kafka: ['kafka:9092'],
      });
    }
    const nodeIds = apps
      .filter(([name]) => name.startsWith('ticker-'))
      .map(([, s]) => s.environment?.['TICKER_NODE_ID']);
    expect(nodeIds).toEqual(['ticker-1', 'ticker-2']);
  });

  it('builds in stages and runs the built apps as an unprivileged user', () => {
    const dockerfile = readFileSync(join(root, 'docker/Dockerfile'), 'utf8');
    expect([...dockerfile.matchAll(/^FROM \S+ AS (\w+)$/gm)].map((m) => m[1])).toEqual([
      'deps',
      'build',
      'runtime',
    ]);
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*$/m);
    const cmd = /^CMD \["node", "(dist\/apps\/standalone\/src\/main)\.js"\]$/m.exec(dockerfile)?.[1];
    expect(cmd && existsSync(join(root, `${cmd.replace(/^dist\//, '')}.ts`))).toBe(true);
  });
});
