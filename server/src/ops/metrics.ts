import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CheckpointStatus } from '../store/checkpointer.ts';

/** Prometheus metrics of one app instance (its own registry, so tests can build many apps). */
export class Metrics {
  readonly registry = new Registry();

  readonly licensesMinted = new Counter({
    name: 'mintdesk_licenses_minted_total',
    help: 'Licenses signed and stored.',
    registers: [this.registry],
  });

  readonly deliveries = new Counter({
    name: 'mintdesk_deliveries_total',
    help: 'License email attempts by outcome (sent, temporary_failure, permanent_failure).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'mintdesk_http_request_duration_seconds',
    help: 'HTTP request latency by route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  /** `checkpoints`: SQLite's WAL checkpoint thread, when the store is SQLite. */
  constructor(queueDepth: () => Promise<number>, checkpoints?: () => CheckpointStatus) {
    if (checkpoints) {
      new Counter({
        name: 'mintdesk_sqlite_checkpoint_failures_total',
        help: 'WAL checkpoint rounds that failed (the thread reports them and keeps going).',
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(checkpoints().failures);
        },
      });
      new Counter({
        name: 'mintdesk_sqlite_checkpoint_restarts_total',
        help: 'Times the WAL checkpoint thread ended unexpectedly and was started again.',
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(checkpoints().restarts);
        },
      });
      new Gauge({
        name: 'mintdesk_sqlite_checkpoint_last_success_seconds',
        help: 'Unix time of the last successful WAL checkpoint (0: none yet).',
        registers: [this.registry],
        collect() {
          this.set((checkpoints().lastSuccessAtMs ?? 0) / 1000);
        },
      });
    }
    new Gauge({
      name: 'mintdesk_queue_depth',
      help: 'Durable jobs (deliveries, tracker updates) waiting or running.',
      registers: [this.registry],
      async collect() {
        this.set(await queueDepth());
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'mintdesk_' });
  }
}
