/**
 * Wires a running controller from a validated configuration: real AWS clients (from the standard AWS
 * configuration; src/aws/clients.ts), the source, leases and status in S3, events to stdout and
 * CloudWatch Logs, metrics to CloudWatch and `/metrics`, the batched observer, the reconcilers, and the
 * HTTP endpoint. Tests inject a clock and an output stream; nothing else differs from production.
 */
import type { Writable } from 'node:stream';
import { CallCounter } from '../aws/call-counter.js';
import type { AwsClients } from '../aws/clients.js';
import { createAwsClients, destroyAwsClients } from '../aws/clients.js';
import { CloudWatchLogsWriter } from '../aws/logs-sink.js';
import { CloudWatchMetricsWriter } from '../aws/metrics-sink.js';
import { S3ObjectStore } from '../aws/object-store.js';
import { observeClusters } from '../aws/observe.js';
import { AwsSecretReader, CachedSecretReader } from '../aws/secrets.js';
import type { SecretReader } from '../neo4j/secrets.js';
import { defaultReconcilers } from '../reconcilers/index.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import type { RunConfig } from './config.js';
import type { StopReport } from './controller.js';
import { Controller } from './controller.js';
import type { ControllerEvent, EventSink } from './events.js';
import { EventRecorder, JsonLinesSink } from './events.js';
import type { HttpServerHandle } from './http.js';
import { startHttpServer } from './http.js';
import type { Leases } from './lease.js';
import { LocalLeases, S3Leases } from './lease.js';
import { ControllerMetrics } from './metrics.js';
import { redactor } from './redact.js';
import { createSource } from './sources/index.js';
import { S3Source } from './sources/s3.js';
import { StatusBoard } from './status.js';

export interface RunningController {
  controller: Controller;
  http: HttpServerHandle | undefined;
  clients: AwsClients;
  counter: CallCounter;
  events: EventRecorder;
  /** Where status and leases live, when in S3. */
  statusLocation: { bucket: string; folder: string } | undefined;
  /** Stops everything within `config.stopTimeout`. */
  stop(): Promise<StopReport>;
}

export interface WiringDeps {
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  /** Where JSON-line events go. Default process.stdout. */
  stdout?: Pick<Writable, 'write'>;
  /** Diagnostics (never events). Default process.stderr. */
  stderr?: Pick<Writable, 'write'>;
  /** Made once per controller; default `createAwsClients`. */
  clients?: AwsClients;
  version?: string;
  /**
   * Reads the credentials secret for the Neo4j observation; default Secrets Manager through the
   * controller's (counted) clients. Either way it is read through a cache (`secretTtlMs`).
   */
  secrets?: SecretReader;
  /** How long the credentials secret is reused. Default 5 minutes (src/aws/secrets.ts). */
  secretTtlMs?: number;
  /** Requeue bound while topology work is in flight (tests on a fast twin). */
  topologyRecheckMs?: number;
  /** Run the topology concern (volumes, placement, services, capacity, membership). Default true. */
  topology?: boolean;
}

class CloudWatchEventSink implements EventSink {
  constructor(private readonly writer: CloudWatchLogsWriter) {}
  write(e: ControllerEvent): void {
    this.writer.add({ timestamp: Date.parse(e.time), message: JSON.stringify(e) });
  }
  flush(): Promise<void> {
    return this.writer.flush();
  }
}

export async function startController(config: RunConfig, deps: WiringDeps = {}): Promise<RunningController> {
  const clock = deps.clock ?? systemClock;
  const stderr = deps.stderr ?? process.stderr;
  const log = (line: string): void => {
    stderr.write(
      `${JSON.stringify({ time: new Date(clock.now()).toISOString(), level: 'info', msg: redactor.text(line) })}\n`,
    );
  };
  const counter = new CallCounter();
  const clients =
    deps.clients ??
    createAwsClients({
      counter,
      userAgent: [
        ['neo4j-ecs-operator', deps.version ?? '0'],
        ['holder', config.holderId.replace(/[^\w.-]/g, '_')],
      ],
      ...(deps.env ? { env: deps.env } : {}),
    });
  if (deps.clients) for (const c of Object.values(deps.clients)) counter.instrument(c);
  const store = new S3ObjectStore(clients.s3);
  const source = createSource(config.source, { store, gitCacheDir: config.gitCacheDir });
  const statusLocation =
    config.statusBucket ??
    (source instanceof S3Source ? { bucket: source.bucket, folder: source.folder } : undefined);
  const leases: Leases = statusLocation
    ? new S3Leases({
        store,
        bucket: statusLocation.bucket,
        folder: statusLocation.folder,
        holderId: config.holderId,
        ttlMs: config.leaseTtl,
        clock,
      })
    : new LocalLeases(config.holderId);
  const status = new StatusBoard(statusLocation ? { store, ...statusLocation } : undefined);

  const sinks: EventSink[] = [new JsonLinesSink(deps.stdout ?? process.stdout)];
  const flushers: ((signal?: AbortSignal) => Promise<void>)[] = [];
  let metricsWriter: CloudWatchMetricsWriter | undefined;
  if (config.cloudwatch) {
    const report = (what: string) => (e: unknown) =>
      log(`${what} failed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    sinks.push(
      new CloudWatchEventSink(
        new CloudWatchLogsWriter({
          client: clients.logs,
          logGroup: config.logGroup,
          logStream: config.logStream,
          onError: report('PutLogEvents'),
        }),
      ),
    );
    metricsWriter = new CloudWatchMetricsWriter({
      client: clients.cloudwatch,
      onError: report('PutMetricData'),
    });
    const writer = metricsWriter;
    flushers.push((signal) => writer.flush(signal));
  }
  const events = new EventRecorder({ clock, controller: config.holderId, sinks });
  const metrics = new ControllerMetrics({
    clock,
    namespace: config.namespace,
    ...(metricsWriter ? { cloudwatch: metricsWriter } : {}),
    maxConcurrentReconciles: config.concurrency,
  });
  const controller = new Controller({
    clock,
    source,
    pollIntervalMs: config.interval ?? source.defaultIntervalMs,
    resyncIntervalMs: config.resync,
    leases,
    leaseCheckIntervalMs: Math.max(100, Math.floor(config.leaseTtl / 6)),
    status,
    observe: (targets, signal) => observeClusters(clients, targets, clock.now(), signal),
    reconcilers: defaultReconcilers(deps.topology === false ? { logs: clients.logs } : clients, {
      secrets: new CachedSecretReader(deps.secrets ?? new AwsSecretReader(clients.secretsmanager), {
        now: () => clock.now(),
        ...(deps.secretTtlMs !== undefined ? { ttlMs: deps.secretTtlMs } : {}),
      }),
      onSecret: (v) => redactor.addSecret(v),
      ...(deps.topologyRecheckMs !== undefined ? { recheckMs: deps.topologyRecheckMs } : {}),
    }),
    events,
    metrics,
    counter,
    concurrency: config.concurrency,
    passTimeoutMs: config.passTimeout,
    flushIntervalMs: config.flushInterval,
    flushers,
    debugEvents: config.debugEvents,
    log,
  });
  if (!statusLocation)
    events.emit({
      cluster: '',
      type: 'Warning',
      reason: 'NoLeaseBucket',
      message:
        'no --status-bucket and the source is not in S3: status stays in memory and there is no lease, so run exactly one controller',
    });
  events.emit({
    cluster: '',
    type: 'Normal',
    reason: 'ControllerStarting',
    message: `controller ${config.holderId} reading ${source.display} every ${Math.round((config.interval ?? source.defaultIntervalMs) / 1000)}s${statusLocation ? `; status and leases in s3://${statusLocation.bucket}/${statusLocation.folder}` : ''}`,
  });
  const http =
    config.httpPort !== undefined
      ? await startHttpServer(
          {
            holderId: config.holderId,
            health: () => controller.health(),
            clusters: () => controller.clusters(),
            status: (c) => status.get(c),
            leaseGeneration: (c) => leases.current(c),
            metrics: async () => ({ contentType: metrics.contentType, body: await metrics.text() }),
          },
          { host: config.httpHost, port: config.httpPort },
        )
      : undefined;
  await controller.start();
  let stopping: Promise<StopReport> | undefined;
  return {
    controller,
    http,
    clients,
    counter,
    events,
    statusLocation,
    stop() {
      stopping ??= (async () => {
        events.emit({
          cluster: '',
          type: 'Normal',
          reason: 'ControllerStopping',
          message: `controller ${config.holderId} is stopping`,
        });
        const report = await controller.stop(config.stopTimeout);
        await http?.close();
        if (!deps.clients) destroyAwsClients(clients);
        return report;
      })();
      return stopping;
    },
  };
}
