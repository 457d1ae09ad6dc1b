/** Runs controllers in-process against the twin, as `neo4j-ecs run` wires them, capturing stdout. */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateClusterCommand } from '@aws-sdk/client-ecs';
import type { AwsClients } from '../../src/aws/clients.js';
import { destroyAwsClients } from '../../src/aws/clients.js';
import type { S3ObjectStore } from '../../src/aws/object-store.js';
import { loadConfig } from '../../src/controller/config.js';
import type { RawConfig } from '../../src/controller/config.js';
import type { ControllerEvent } from '../../src/controller/events.js';
import type { RunningController } from '../../src/controller/wiring.js';
import { startController } from '../../src/controller/wiring.js';
import type { ClusterStatus } from '../../src/model/status.js';
import type { AwsTwin } from '../aws/twin-setup.js';
import { clientsFor } from '../aws/twin-setup.js';
export { eventually } from '../helpers/eventually.js';

export interface TestController {
  running: RunningController;
  /** Every stdout line, parsed. */
  events: ControllerEvent[];
  stdout: string[];
  stop(): Promise<void>;
}

export async function startTestController(
  twin: AwsTwin,
  flags: Partial<Record<keyof RawConfig, string>>,
): Promise<TestController> {
  const config = loadConfig(
    { httpPort: 'off', interval: '200ms', resync: '1s', flushInterval: '200ms', ...flags },
    {},
  );
  const stdout: string[] = [];
  const events: ControllerEvent[] = [];
  let partial = '';
  const clients: AwsClients = clientsFor(twin);
  const running = await startController(config, {
    // These suites test the runtime (sources, queue, lease, events, status) on a world with no
    // capacity; the topology concern would rightly never call it Ready. test/e2e covers topology.
    topology: false,
    clients,
    stdout: {
      write: (chunk: string | Uint8Array) => {
        partial += chunk.toString();
        let i: number;
        while ((i = partial.indexOf('\n')) >= 0) {
          const line = partial.slice(0, i);
          partial = partial.slice(i + 1);
          stdout.push(line);
          events.push(JSON.parse(line) as ControllerEvent);
        }
        return true;
      },
    },
    stderr: { write: () => true },
  });
  let stopped = false;
  return {
    running,
    events,
    stdout,
    async stop() {
      if (stopped) return;
      stopped = true;
      await running.stop();
      destroyAwsClients(clients);
    },
  };
}

export async function prepareWorld(
  twin: AwsTwin,
  clients: AwsClients,
  opts: { bucket?: string; ecsCluster?: string } = {},
): Promise<void> {
  if (opts.bucket) await clients.s3.send(new CreateBucketCommand({ Bucket: opts.bucket }));
  if (opts.ecsCluster) await clients.ecs.send(new CreateClusterCommand({ clusterName: opts.ecsCluster }));
  void twin;
}

export async function readStatus(
  store: S3ObjectStore,
  bucket: string,
  key: string,
): Promise<ClusterStatus | undefined> {
  const r = await store.get(bucket, key);
  return r.status === 'ok' ? (JSON.parse(r.body) as ClusterStatus) : undefined;
}
