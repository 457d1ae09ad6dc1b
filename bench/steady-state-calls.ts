/**
 * AWS calls per steady-state pass, for 1 and for 20 clusters on one twin and one controller.
 *
 * Run it:
 *   npm run bench
 * which is
 *   npx tsc -p tsconfig.bench.json && node dist/bench-build/bench/steady-state-calls.js [--clusters 1,20] [--time-scale 30]
 *
 * For each cluster count it starts a fresh twin, bootstraps that many copies of examples/minimal.yaml
 * (`bench-<i>`, each with its own ECS cluster and ASGs) with `bootstrapInfrastructure`, puts them in one
 * S3 prefix, runs the controller in-process on the twin's clock until every cluster's last two passes
 * took no action and held nothing (steady state; bounded by --settle, wall time), and then measures a
 * window of --passes further passes per cluster. It prints, per steady-state pass of one cluster and by
 * operation, the calls the controller's per-pass counter attributes to it (its own calls plus its share
 * of the observation batched across its pass group), and cross-checks the controller's total call
 * counter over the window with the twin's call log (they must be equal), showing the calls made
 * outside passes (source polls, lease renewals, event and metric flushes). Figures, not assertions: it
 * is not a timed test.
 */
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseDocument } from 'yaml';
import type { CallCounts } from '../src/aws/call-counter.js';
import { addCounts, emptyCounts } from '../src/aws/call-counter.js';
import { createAwsClients, destroyAwsClients } from '../src/aws/clients.js';
import { S3ObjectStore } from '../src/aws/object-store.js';
import { defaultSpecPath } from '../src/cli/commands/demo.js';
import { loadConfig } from '../src/controller/config.js';
import type { PassResult } from '../src/controller/controller.js';
import { startController } from '../src/controller/wiring.js';
import { bootstrapInfrastructure } from '../src/demo/bootstrap.js';
import { clockFrom } from '../src/demo/clock.js';
import { demoCluster, withSecretArn } from '../src/demo/spec.js';
import { twinEnv } from '../twin/aws/index.js';
import { startTwin } from '../twin/index.js';

interface Args {
  clusters: number[];
  timeScale: number;
  passes: number;
  settleMs: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { clusters: [1, 20], timeScale: 30, passes: 3, settleMs: 240_000 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1] ?? ''];
    const n = Number(value);
    if (flag === '--clusters') args.clusters = value.split(',').map(Number);
    else if (flag === '--time-scale') args.timeScale = n;
    else if (flag === '--passes') args.passes = n;
    else if (flag === '--settle') args.settleMs = n * 1000;
    else
      throw new Error(
        `unknown option ${String(flag)} (use --clusters 1,20 --time-scale 30 --passes 3 --settle 240)`,
      );
  }
  const bad = [
    ...args.clusters.filter((c) => !Number.isInteger(c) || c < 1 || c > 100).map(() => '--clusters'),
    ...(args.timeScale > 0 ? [] : ['--time-scale']),
    ...(Number.isInteger(args.passes) && args.passes >= 1 ? [] : ['--passes']),
    ...(args.settleMs > 0 ? [] : ['--settle']),
  ];
  if (bad.length > 0) throw new Error(`bad value for ${[...new Set(bad)].join(', ')}`);
  return args;
}

/** examples/minimal.yaml as cluster `bench-<i>` with its own ECS cluster and ASGs. */
function variant(base: string, i: number): string {
  const doc = parseDocument(base);
  const name = `bench-${i}`;
  doc.setIn(['metadata', 'name'], name);
  doc.setIn(['spec', 'ecs', 'cluster'], name);
  for (const zone of ['us-east-1a', 'us-east-1b', 'us-east-1c'])
    doc.setIn(['spec', 'capacity', 'primaryAutoScalingGroups', zone], `${name}-${zone.slice(-1)}`);
  return doc.toString();
}

const sub = (a: CallCounts, b: CallCounts): CallCounts => {
  const out = emptyCounts();
  out.total = a.total - b.total;
  out.attempts = a.attempts - b.attempts;
  for (const [k, v] of Object.entries(a.byOperation)) {
    const d = v - (b.byOperation[k] ?? 0);
    if (d !== 0) out.byOperation[k] = d;
  }
  return out;
};

const copy = (c: CallCounts): CallCounts => addCounts(emptyCounts(), c);

const steady = (list: PassResult[] | undefined): boolean =>
  list !== undefined &&
  list.length >= 2 &&
  list.slice(-2).every((p) => p.actions.length === 0 && p.holds.length === 0 && p.error === undefined);

interface Measured {
  clusters: number;
  steady: boolean;
  /** Members with a RUNNING task (from the last pass of each cluster) and how many the specs ask for. */
  membersUp: number;
  membersWanted: number;
  settleWallMs: number;
  passes: number;
  /** Per pass of one cluster, by operation: own calls + observation share. */
  perPass: Record<string, number>;
  perPassTotal: number;
  windowVirtualMs: number;
  counterTotal: number;
  twinLogTotal: number;
  twinLogByOp: Record<string, number>;
  counterByOp: Record<string, number>;
  outsidePasses: Record<string, number>;
}

async function measure(n: number, args: Args, base: string): Promise<Measured> {
  const twin = await startTwin({ port: 0, seed: 1, timeScale: args.timeScale });
  Object.assign(process.env, twinEnv(twin));
  const clients = createAwsClients();
  const secrets = new SecretsManagerClient({});
  const store = new S3ObjectStore(clients.s3);
  const bucket = 'neo4j-ecs-bench';
  try {
    for (let i = 1; i <= n; i++) {
      const text = variant(base, i);
      const cluster = demoCluster(text, `bench-${i}.yaml`);
      const boot = await bootstrapInfrastructure({ ...clients, secrets }, cluster, {
        bucket,
        password: `bench-password-${i}-${Math.random().toString(36).slice(2)}`,
      });
      await store.put(bucket, `clusters/bench-${i}.yaml`, withSecretArn(text, boot.secretArn));
    }
    const config = loadConfig({ source: `s3://${bucket}/clusters/`, httpPort: 'off', holderId: 'bench' }, {});
    const quiet = { write: () => true };
    const running = await startController(config, {
      clock: clockFrom(twin.clock),
      stdout: quiet,
      stderr: quiet,
    });
    const passes = new Map<string, PassResult[]>();
    let collecting = true;
    const names = Array.from({ length: n }, (_, i) => `bench-${i + 1}`);
    for (const name of names)
      void (async () => {
        while (collecting) {
          const p = await running.controller.nextPass(name);
          const list = passes.get(name) ?? [];
          list.push(p);
          passes.set(name, list);
        }
      })();
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    const settleStart = Date.now();
    while (Date.now() - settleStart < args.settleMs && !names.every((c) => steady(passes.get(c))))
      await sleep(200);
    const settleWallMs = Date.now() - settleStart;
    const isSteady = names.every((c) => steady(passes.get(c)));
    const membersUp = names.reduce((a, c) => a + (passes.get(c)?.at(-1)?.health?.membersUp ?? 0), 0);

    // The window: args.passes more passes of every cluster.
    const seq0 = twin.calls.lastSeq();
    const t0 = twin.clock.now();
    const counter0 = copy(running.counter.totals);
    const start = new Map(names.map((c) => [c, passes.get(c)?.length ?? 0]));
    const windowEnd = Date.now() + Math.max(60_000, args.settleMs / 2);
    while (
      Date.now() < windowEnd &&
      !names.every((c) => (passes.get(c)?.length ?? 0) >= (start.get(c) ?? 0) + args.passes)
    )
      await sleep(100);
    const counter1 = copy(running.counter.totals);
    const seq1 = twin.calls.lastSeq();
    const t1 = twin.clock.now();
    collecting = false;

    const windowPasses = names.flatMap((c) => (passes.get(c) ?? []).slice(start.get(c) ?? 0));
    const attributed = emptyCounts();
    const perPass: Record<string, number> = {};
    for (const p of windowPasses) {
      const obs = p.observation?.calls ?? emptyCounts();
      const own = sub(p.awsCalls, obs);
      addCounts(attributed, own);
      for (const [k, v] of Object.entries(own.byOperation)) perPass[k] = (perPass[k] ?? 0) + v;
      const share = 1 / Math.max(1, p.observation?.groupSize ?? 1);
      for (const [k, v] of Object.entries(obs.byOperation)) {
        perPass[k] = (perPass[k] ?? 0) + v * share;
        attributed.byOperation[k] = (attributed.byOperation[k] ?? 0) + v * share;
        attributed.total += v * share;
      }
    }
    const count = Math.max(1, windowPasses.length);
    for (const k of Object.keys(perPass)) perPass[k] = (perPass[k] ?? 0) / count;
    const windowCounts = sub(counter1, counter0);
    const twinLog = twin.calls.list({ sinceSeq: seq0 }).filter((r) => r.seq <= seq1);
    const twinLogByOp: Record<string, number> = {};
    for (const r of twinLog) {
      // The twin names CloudWatch by its signing name; the counter by the client.
      const k = `${r.service === 'monitoring' ? 'cloudwatch' : r.service}:${r.operation}`;
      twinLogByOp[k] = (twinLogByOp[k] ?? 0) + 1;
    }
    const outsidePasses: Record<string, number> = {};
    for (const [k, v] of Object.entries(windowCounts.byOperation)) {
      const d = Math.round((v - (attributed.byOperation[k] ?? 0)) * 100) / 100;
      if (d > 0.001) outsidePasses[k] = d;
    }
    await running.stop();
    return {
      clusters: n,
      steady: isSteady,
      membersUp,
      membersWanted: 3 * n,
      settleWallMs,
      passes: windowPasses.length,
      perPass,
      perPassTotal: Object.values(perPass).reduce((a, b) => a + b, 0),
      windowVirtualMs: t1 - t0,
      counterTotal: windowCounts.total,
      twinLogTotal: twinLog.length,
      twinLogByOp,
      counterByOp: windowCounts.byOperation,
      outsidePasses,
    };
  } finally {
    destroyAwsClients(clients);
    secrets.destroy();
    await twin.stop();
  }
}

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(2));

function report(m: Measured): string[] {
  const lines = [
    `${m.clusters} cluster(s): ${m.steady ? 'steady' : 'NOT steady within --settle'} after ${(m.settleWallMs / 1000).toFixed(1)} s wall with ${m.membersUp}/${m.membersWanted} members up; ${m.passes} passes measured over ${(m.windowVirtualMs / 1000).toFixed(0)} s virtual`,
    `  AWS calls per steady-state pass of one cluster (own + share of the batched observation): ${fmt(m.perPassTotal)}`,
  ];
  for (const [k, v] of Object.entries(m.perPass).sort()) lines.push(`    ${k.padEnd(44)} ${fmt(v)}`);
  lines.push(
    `  whole window: controller counter ${m.counterTotal} calls, twin call log ${m.twinLogTotal} requests (${m.counterTotal === m.twinLogTotal ? 'equal' : 'DIFFERENT: retries or calls from elsewhere'})`,
  );
  const ops = new Set([...Object.keys(m.twinLogByOp), ...Object.keys(m.counterByOp)]);
  for (const k of [...ops].sort()) {
    const [log, counted] = [m.twinLogByOp[k] ?? 0, m.counterByOp[k] ?? 0];
    if (log !== counted)
      lines.push(
        `    ${k.padEnd(44)} twin log ${log}, controller counter ${counted}${counted === 0 ? ' (a client the counter does not instrument)' : ''}`,
      );
  }
  lines.push('  outside passes in the window (source polls, leases, event/metric flushes):');
  for (const [k, v] of Object.entries(m.outsidePasses).sort()) lines.push(`    ${k.padEnd(44)} ${fmt(v)}`);
  return lines;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const base = readFileSync(defaultSpecPath(), 'utf8');
  const cpu = cpus();
  console.log(
    `steady-state AWS calls — node ${process.version}, ${cpu.length} x ${cpu[0]?.model ?? 'cpu'}, time scale ${args.timeScale}`,
  );
  for (const n of args.clusters) {
    const m = await measure(n, args, base);
    for (const line of report(m)) console.log(line);
  }
}

main().then(
  () => setTimeout(() => process.exit(0), 500).unref(),
  (e: unknown) => {
    console.error(`bench failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
