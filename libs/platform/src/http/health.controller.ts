import { Controller, Get, Inject, Optional, Res } from '@nestjs/common';
import { type FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { ConsumerHealth } from '../ops/consumer-health';
import { FeedwerkMetrics } from '../ops/metrics';
import { OpsMonitor } from '../ops/ops-monitor';
import { TRANSPORT_PROBE, type TransportProbe } from '../ops/transport-probe';

/** A readiness probe's PostgreSQL check gives up after this long (a stalled server must not hang probes). */
const POSTGRES_PROBE_MS = 3_000;

/**
 * Liveness: the process serves HTTP. Readiness: PostgreSQL answers, the transport answers, and
 * every consumer group of this process keeps up (see ConsumerHealth). An app without a transport
 * (the api: it only appends to the outbox) stays ready while Kafka is down. The body lists every
 * check: `checks` the booleans, `consumers` each group's lag and, when it is not keeping up, why.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly db: DataSource,
    private readonly monitor: OpsMonitor,
    private readonly consumers: ConsumerHealth,
    @Optional() @Inject(TRANSPORT_PROBE) private readonly transport: TransportProbe | null,
  ) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const [postgres, transport] = await Promise.all([this.postgres(), this.monitor.probeTransport()]);
    const checks: Record<string, boolean> = { postgres };
    if (this.transport) checks[this.transport.kind] = transport;
    const consumers: Record<string, { keepingUp: boolean; lag: number | null; reason: string | null }> = {};
    for (const verdict of this.consumers.verdicts()) {
      checks[`consumer:${verdict.group}`] = verdict.keepingUp;
      consumers[verdict.group] = { keepingUp: verdict.keepingUp, lag: verdict.lag, reason: verdict.reason };
    }
    const ok = Object.values(checks).every(Boolean);
    await reply
      .status(ok ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({
        status: ok ? 'ok' : 'unavailable',
        checks,
        ...(Object.keys(consumers).length > 0 ? { consumers } : {}),
      });
  }

  private postgres(): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timeout = setTimeout(() => resolve(false), POSTGRES_PROBE_MS);
      this.db.query('SELECT 1').then(
        () => {
          clearTimeout(timeout);
          resolve(true);
        },
        () => {
          clearTimeout(timeout);
          resolve(false);
        },
      );
    });
  }
}

/** Prometheus text format: this app instance's registry (default process metrics included). */
@Controller()
export class MetricsController {
  constructor(private readonly metrics: FeedwerkMetrics) {}

  @Get('metrics')
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    await reply
      .header('content-type', this.metrics.registry.contentType)
      .header('cache-control', 'no-store')
      .send(await this.metrics.text());
  }
}
