/**
 * The demo, end to end, against whatever AWS endpoint the standard AWS configuration names (the CLI
 * command points it at the twin it starts; nothing here knows the twin): bootstrap the infrastructure
 * for the spec, put the spec (with the bootstrapped secret's ARN) in S3, run the controller in-process
 * against it, watch a local copy of the spec and upload it on change, and keep the screen current
 * until stopped. The Neo4j password is random, registered with the redaction guard and never shown.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, unwatchFile, watchFile, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AwsClients } from '../aws/clients.js';
import { createAwsClients, destroyAwsClients } from '../aws/clients.js';
import { S3ObjectStore } from '../aws/object-store.js';
import type { Clock } from '../controller/clock.js';
import { loadConfig } from '../controller/config.js';
import type { ControllerEvent } from '../controller/events.js';
import { redactor } from '../controller/redact.js';
import type { RunningController } from '../controller/wiring.js';
import { startController } from '../controller/wiring.js';
import type { Neo4jCluster } from '../model/cluster.js';
import type { BootstrapResult } from './bootstrap.js';
import { bootstrapInfrastructure } from './bootstrap.js';
import { observeDemo } from './observe.js';
import type { LiveScreen } from './screen.js';
import { demoCluster, withSecretArn } from './spec.js';
import type { DemoEventLine, DemoView } from './view.js';

export const DEMO_BUCKET = 'neo4j-ecs-demo';
export const DEMO_FOLDER = 'clusters/';

export interface DemoOptions {
  /** The AWS endpoint (for the instructions printed; clients use the standard configuration). */
  endpoint: string;
  /** The spec's text and where it came from. */
  specText: string;
  specSource: string;
  /** The controller's clock (the twin's virtual clock in the demo). */
  clock: Clock;
  screen: LiveScreen;
  /** Local copy of the spec that is uploaded to S3 whenever it changes. Default under the OS temp dir. */
  watchFile?: string;
  /** Wall-time ms between screen refreshes. Default 500. */
  refreshMs?: number;
  /** Package version, for the controller's user agent. */
  version?: string;
}

export interface RunningDemo {
  cluster: Neo4jCluster;
  bootstrap: BootstrapResult;
  /** `s3://bucket/clusters/<name>.yaml` */
  specUrl: string;
  watchFile: string;
  controller: RunningController;
  /** Resolves once the cluster is Ready (members up, every database led). */
  ready: Promise<void>;
  /** The latest view drawn. */
  view(): DemoView;
  stop(): Promise<void>;
}

const MAX_EVENTS = 200;

/** The command that uploads a changed spec, for the instructions. */
export function uploadCommand(endpoint: string, specUrl: string): string {
  return `aws --endpoint-url ${endpoint} s3 cp my-cluster.yaml ${specUrl}`;
}

export async function startDemo(o: DemoOptions): Promise<RunningDemo> {
  const cluster = demoCluster(o.specText, o.specSource);
  const name = cluster.metadata.name;
  const clients: AwsClients = createAwsClients();
  const secrets = new SecretsManagerClient({});
  const store = new S3ObjectStore(clients.s3);
  const password = randomBytes(18).toString('base64url');
  redactor.addSecret(password);
  let controller: RunningController | undefined;
  try {
    const bootstrap = await bootstrapInfrastructure({ ...clients, secrets }, cluster, {
      bucket: DEMO_BUCKET,
      password,
    });
    o.screen.print(
      `infrastructure: ECS cluster ${bootstrap.ecsCluster}, ASGs ${[
        ...Object.values(bootstrap.primaryAutoScalingGroups),
        ...(bootstrap.secondaryAutoScalingGroup !== undefined ? [bootstrap.secondaryAutoScalingGroup] : []),
      ].join(
        ', ',
      )} (${bootstrap.instanceType}, desired 0: the operator sizes them), secret ${bootstrap.secretName}`,
    );
    const key = `${DEMO_FOLDER}${name}.yaml`;
    const specUrl = `s3://${DEMO_BUCKET}/${key}`;
    let uploaded = withSecretArn(o.specText, bootstrap.secretArn);
    await store.put(DEMO_BUCKET, key, uploaded, { contentType: 'application/yaml' });
    o.screen.print(`spec: ${specUrl}`);

    const watchPath = o.watchFile ?? join(tmpdir(), 'neo4j-ecs-demo', `${name}.yaml`);
    mkdirSync(dirname(watchPath), { recursive: true });
    writeFileSync(watchPath, uploaded);
    let uploading = Promise.resolve();
    watchFile(watchPath, { interval: 500, persistent: false }, () => {
      uploading = uploading.then(async () => {
        let text: string;
        try {
          text = readFileSync(watchPath, 'utf8');
        } catch {
          return;
        }
        if (text === uploaded) return;
        uploaded = text;
        try {
          await store.put(DEMO_BUCKET, key, text, { contentType: 'application/yaml' });
          o.screen.print(`uploaded ${watchPath} to ${specUrl}; the controller picks it up at its next poll`);
        } catch (e) {
          o.screen.print(`could not upload ${watchPath}: ${e instanceof Error ? e.message : String(e)}`);
        }
      });
    });

    const config = loadConfig(
      { source: `s3://${DEMO_BUCKET}/${DEMO_FOLDER}`, httpPort: 'off', holderId: 'neo4j-ecs-demo' },
      {},
    );
    const events: DemoEventLine[] = [];
    let seq = 0;
    controller = await startController(config, {
      clock: o.clock,
      stdout: { write: () => true },
      stderr: {
        write: (s: string | Uint8Array) => (o.screen.print(`controller: ${diagnostic(String(s))}`), true),
      },
      ...(o.version !== undefined ? { version: o.version } : {}),
    });
    const onEvent = (e: ControllerEvent): void => {
      if (e.cluster !== name && e.cluster !== '') return;
      events.push({
        time: e.time,
        type: e.type,
        reason: e.reason,
        message: e.message,
        seq: seq++,
        ...(e.member !== undefined ? { member: e.member } : {}),
        ...(e.count > 1 ? { count: e.count } : {}),
      });
      if (events.length > MAX_EVENTS) events.splice(0, events.length - MAX_EVENTS);
    };
    controller.events.onEvent(onEvent);

    let view: DemoView = { cluster: name, readiness: 'waiting for the cluster…', members: [], events };
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let resolveReady: () => void = () => undefined;
    const ready = new Promise<void>((r) => (resolveReady = r));
    let announced = false;
    let printedHelp = false;
    const credentials = { user: cluster.spec.credentials.username, password };
    const tick = async (): Promise<void> => {
      try {
        const seen = await observeDemo({
          store,
          ecs: clients.ecs,
          bucket: DEMO_BUCKET,
          folder: DEMO_FOLDER,
          cluster,
          credentials,
        });
        view = {
          cluster: name,
          ...(seen.phase !== undefined ? { phase: seen.phase } : {}),
          readiness: seen.readiness,
          members: seen.members,
          events,
        };
        if (seen.ready && !announced) {
          announced = true;
          resolveReady();
        }
      } catch (e) {
        view = {
          ...view,
          readiness: `cannot observe the cluster: ${e instanceof Error ? e.message : String(e)}`,
        };
      }
      if (stopped) return;
      o.screen.draw(view);
      if (announced && !printedHelp) {
        printedHelp = true;
        for (const line of changeInstructions(o.endpoint, specUrl, watchPath)) o.screen.print(line);
      }
      timer = setTimeout(() => void tick(), o.refreshMs ?? 500);
    };
    await tick();

    const running = controller;
    return {
      cluster,
      bootstrap,
      specUrl,
      watchFile: watchPath,
      controller: running,
      ready,
      view: () => view,
      async stop() {
        stopped = true;
        if (timer) clearTimeout(timer);
        unwatchFile(watchPath);
        await uploading;
        await running.stop();
        o.screen.finish();
        destroyAwsClients(clients);
        secrets.destroy();
      },
    };
  } catch (e) {
    await controller?.stop();
    destroyAwsClients(clients);
    secrets.destroy();
    throw e;
  }
}

/** What the demo prints once the cluster is Ready. */
export function changeInstructions(endpoint: string, specUrl: string, watchFile: string): string[] {
  return [
    'The cluster is Ready. Change it by changing its spec, either with the AWS CLI against the twin:',
    `  ${uploadCommand(endpoint, specUrl)}`,
    `or by editing ${watchFile} (the demo uploads it to ${specUrl} on every save).`,
    'The controller reads the spec at its next poll. Ctrl-C stops the demo.',
  ];
}

/** The message of one of the controller's JSON diagnostic lines. */
function diagnostic(line: string): string {
  try {
    const v = JSON.parse(line) as { msg?: unknown };
    if (typeof v.msg === 'string') return v.msg;
  } catch {
    // not JSON: shown as it is
  }
  return line.trim();
}
