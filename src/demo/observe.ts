/**
 * What the demo looks at, the way a user would: the cluster's status object that the controller
 * writes beside the spec in S3, the member tasks in ECS (for their addresses), and the members
 * themselves over Bolt (role per database and version, with the real neo4j-driver). It decides
 * whether the cluster is really up: the controller's phase is Ready, every member's task runs, and
 * every database has a leader. Until then it says what it waits for, truthfully.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import { DescribeTasksCommand } from '@aws-sdk/client-ecs';
import type { ObjectStore } from '../aws/object-store.js';
import { parseStatus } from '../controller/status.js';
import type { Neo4jCluster } from '../model/cluster.js';
import { primaryPlacement } from '../model/placement.js';
import type { ClusterStatus } from '../model/status.js';
import { probeCluster } from '../neo4j/probe.js';
import type { ClusterView } from '../neo4j/types.js';
import type { DemoMemberRow } from './view.js';

export interface DemoObserveDeps {
  store: ObjectStore;
  ecs: ECSClient;
  bucket: string;
  /** Folder of the spec (status is in `<folder>status/`). */
  folder: string;
  cluster: Neo4jCluster;
  credentials: { user: string; password: string };
  /** Bound on each Bolt call, ms. Default 1500. */
  probeTimeoutMs?: number;
}

export interface DemoObservation {
  phase?: string;
  ready: boolean;
  readiness: string;
  members: DemoMemberRow[];
}

async function readStatus(d: DemoObserveDeps): Promise<ClusterStatus | undefined> {
  const res = await d.store.get(d.bucket, `${d.folder}status/${d.cluster.metadata.name}.json`);
  return res.status === 'ok' ? parseStatus(res.body) : undefined;
}

/** Bolt URL of each RUNNING task, by task ARN. */
async function taskAddresses(d: DemoObserveDeps, arns: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < arns.length; i += 100) {
    const res = await d.ecs.send(
      new DescribeTasksCommand({ cluster: d.cluster.spec.ecs.cluster, tasks: arns.slice(i, i + 100) }),
    );
    for (const t of res.tasks ?? []) {
      if (t.lastStatus !== 'RUNNING' || !t.taskArn) continue;
      const ip = t.containers
        ?.flatMap((c) => c.networkInterfaces ?? [])
        .find((n) => n.privateIpv4Address)?.privateIpv4Address;
      if (ip) out.set(t.taskArn, `bolt://${ip}:7687`);
    }
  }
  return out;
}

/** Whether the cluster is really up, and one line saying so or what it waits for (pure). */
export function demoReadiness(
  expectedDatabases: readonly string[],
  status: ClusterStatus | undefined,
  rows: DemoMemberRow[],
  view: ClusterView | undefined,
): { ready: boolean; readiness: string } {
  const running = rows.filter((r) => r.state === 'RUNNING').length;
  const waiting = (why: string): { ready: false; readiness: string } => ({
    ready: false,
    readiness: `waiting for the cluster… ${why}`,
  });
  if (!status) return waiting('(the controller has not written a status yet)');
  const members = `${running}/${rows.length} members running`;
  if (status.phase !== 'Ready') return waiting(`${members}; the controller is ${status.phase}`);
  if (running < rows.length)
    return waiting(`${members} (the controller has nothing more to do yet: members are not up)`);
  if (!view) return waiting(`${members}; Neo4j has not answered over Bolt yet`);
  const dbs = view.databases;
  const leaderless = dbs.filter((db) => db.leader === null).map((db) => db.name);
  if (dbs.length === 0) return waiting(`${members}; Neo4j lists no databases yet`);
  if (leaderless.length > 0) return waiting(`${members}; no leader yet for ${leaderless.join(', ')}`);
  const absent = expectedDatabases.filter((name) => !dbs.some((db) => db.name === name));
  return {
    ready: true,
    readiness: `Ready: ${members}, every database has a leader (${dbs.map((db) => db.name).join(', ')})${
      absent.length > 0 ? `; spec.neo4j.databases not in Neo4j: ${absent.join(', ')}` : ''
    }`,
  };
}

export async function observeDemo(d: DemoObserveDeps): Promise<DemoObservation> {
  const status = await readStatus(d);
  const rows: DemoMemberRow[] = status
    ? status.members.map((m) => ({
        name: m.name,
        role: m.role,
        state: m.state,
        ...(m.zone !== undefined ? { zone: m.zone } : {}),
        ...(m.instanceId !== undefined ? { instanceId: m.instanceId } : {}),
        ...(m.volumeId !== undefined ? { volumeId: m.volumeId } : {}),
        ...(m.taskArn !== undefined ? { taskArn: m.taskArn } : {}),
        ...(m.version !== undefined ? { version: m.version } : {}),
      }))
    : primaryPlacement(d.cluster).map((s) => ({
        name: s.member,
        role: 'primary' as const,
        zone: s.zone,
        state: 'unknown',
      }));
  const arns = rows.flatMap((r) => (r.taskArn !== undefined && r.state === 'RUNNING' ? [r.taskArn] : []));
  let view: ClusterView | undefined;
  if (arns.length > 0) {
    const urls = await taskAddresses(d, arns);
    if (urls.size > 0) {
      view = await probeCluster([...urls.values()], d.credentials, {
        timeoutMs: d.probeTimeoutMs ?? 1500,
      }).catch(() => undefined);
      if (view) {
        const byUrl = new Map(view.members.map((m) => [m.url, m]));
        for (const r of rows) {
          const m = r.taskArn !== undefined ? byUrl.get(urls.get(r.taskArn) ?? '') : undefined;
          if (!m?.reachable) continue;
          r.roles = { ...m.roles };
          if (m.version !== undefined) r.version = m.version;
        }
      }
    }
  }
  return {
    ...(status ? { phase: status.phase } : {}),
    members: rows,
    ...demoReadiness(d.cluster.spec.neo4j.databases, status, rows, view),
  };
}
