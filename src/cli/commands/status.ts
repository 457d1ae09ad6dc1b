/**
 * `neo4j-ecs status [CLUSTER] [--source s3://… | --url http://controller:port] [--json]`: prints the
 * status of one cluster (conditions and members) or a table of all, read from S3 (`status/` beside the
 * spec, or under --status-bucket) or from a running controller's `/status`. Exit 0 when found, 1 when
 * the cluster has no status, 2 on bad usage or when the status cannot be read.
 */
import { Command } from 'commander';
import { createAwsClients, destroyAwsClients } from '../../aws/clients.js';
import { S3ObjectStore, parseS3Url } from '../../aws/object-store.js';
import { parseStatus } from '../../controller/status.js';
import type { ClusterStatus, RollStatus } from '../../model/status.js';

export const EXIT_FOUND = 0;
export const EXIT_NOT_FOUND = 1;
export const EXIT_USAGE = 2;

interface StatusOpts {
  source?: string;
  statusBucket?: string;
  url?: string;
  json?: boolean;
}

/** The folder status lives under, from a spec URL (its folder, or the prefix) or a status bucket URL. */
export function statusFolder(url: string, isBucket: boolean): { bucket: string; folder: string } {
  const { bucket, key } = parseS3Url(url);
  if (key === '' || key.endsWith('/')) return { bucket, folder: key };
  if (isBucket) return { bucket, folder: `${key}/` };
  const i = key.lastIndexOf('/');
  return { bucket, folder: i < 0 ? '' : key.slice(0, i + 1) };
}

async function fromS3(
  loc: { bucket: string; folder: string },
  cluster: string | undefined,
): Promise<ClusterStatus[]> {
  const clients = createAwsClients();
  try {
    const store = new S3ObjectStore(clients.s3);
    const keys = cluster
      ? [`${loc.folder}status/${cluster}.json`]
      : (await store.list(loc.bucket, `${loc.folder}status/`, { delimiter: '/' }))
          .map((o) => o.key)
          .filter((k) => k.endsWith('.json'));
    const out: ClusterStatus[] = [];
    for (const key of keys) {
      const res = await store.get(loc.bucket, key);
      if (res.status !== 'ok') continue;
      const s = parseStatus(res.body);
      if (s) out.push(s);
    }
    return out;
  } finally {
    destroyAwsClients(clients);
  }
}

async function fromController(url: string, cluster: string | undefined): Promise<ClusterStatus[]> {
  const base = url.replace(/\/+$/, '');
  const res = await fetch(`${base}/status${cluster ? `/${encodeURIComponent(cluster)}` : ''}`, {
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`${base} answered HTTP ${res.status}`);
  const body = (await res.json()) as {
    status?: ClusterStatus | null;
    clusters?: { status: ClusterStatus | null }[];
  };
  if (cluster) return body.status ? [body.status] : [];
  return (body.clusters ?? []).map((c) => c.status).filter((s): s is ClusterStatus => s !== null);
}

const cond = (s: ClusterStatus, type: string) => s.conditions.find((c) => c.type === type);

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

export function formatStatuses(statuses: readonly ClusterStatus[]): string[] {
  return table([
    ['CLUSTER', 'PHASE', 'READY', 'APPLIED', 'ATTEMPTED', 'HOLDER', 'GEN'],
    ...statuses.map((s) => [
      s.cluster,
      s.phase,
      cond(s, 'Ready')?.status ?? 'Unknown',
      s.lastAppliedRevision ?? '-',
      s.lastAttemptedRevision ?? '-',
      s.lease.holder,
      String(s.lease.generation),
    ]),
  ]);
}

export function formatStatus(s: ClusterStatus): string[] {
  const lines = [
    `cluster:              ${s.cluster}`,
    `phase:                ${s.phase}`,
    `observed generation:  ${s.observedGeneration}`,
    `last applied:         ${s.lastAppliedRevision ?? '-'}`,
    `last attempted:       ${s.lastAttemptedRevision ?? '-'}`,
    `source:               ${s.source ?? '-'}`,
    `lease:                ${s.lease.holder} (generation ${s.lease.generation})`,
    `updated:              ${s.updatedAt}`,
    '',
    ...table([
      ['CONDITION', 'STATUS', 'REASON', 'SINCE', 'MESSAGE'],
      ...s.conditions.map((c) => [c.type, c.status, c.reason, c.lastTransitionTime, c.message]),
    ]),
  ];
  if (s.members.length > 0)
    lines.push(
      '',
      ...table([
        ['MEMBER', 'ROLE', 'AZ', 'STATE', 'INSTANCE', 'VOLUME', 'TASK', 'VERSION'],
        ...s.members.map((m) => [
          m.name,
          m.role,
          m.zone ?? '-',
          m.state,
          m.instanceId ?? '-',
          m.volumeId ?? '-',
          m.taskArn?.split('/').pop() ?? '-',
          m.version ?? '-',
        ]),
      ]),
    );
  if (s.roll) lines.push('', ...formatRoll(s.roll));
  return lines;
}

/** The roll section: the current step, why it waits, the ordered plan and the expected leadership changes. */
export function formatRoll(r: RollStatus): string[] {
  const lines = [`roll:                 ${r.current ?? 'in progress'}`];
  if (r.waiting) lines.push(`waiting:              ${r.waiting.reason}: ${r.waiting.message}`);
  lines.push(
    '',
    ...table([
      ['STEP', 'MEMBER', 'ROLE', 'STATE', 'LEADS', 'CHANGES'],
      ...r.steps.map((x) => [
        `${x.position}/${r.total}`,
        x.member,
        x.role,
        x.state,
        x.leads.join(',') || '-',
        x.changes.join(', ') || '-',
      ]),
    ]),
  );
  if (r.expectedLeadershipChanges.length > 0)
    lines.push(
      '',
      ...table([
        ['DATABASE', 'LEADER NOW', 'EXPECTED'],
        ...r.expectedLeadershipChanges.map((c) => [
          c.database,
          c.member,
          c.how === 'transfer' ? 'moved away before its restart' : 'one election at its restart',
        ]),
      ]),
    );
  return lines;
}

export function statusCommand(): Command {
  return new Command('status')
    .description('print the status of one cluster or of all, from S3 or from a running controller')
    .argument('[cluster]', 'cluster name (metadata.name); all clusters when omitted')
    .option(
      '--source <url>',
      's3:// URL of the desired state (status is read beside it) [env NEO4J_ECS_SOURCE]',
    )
    .option('--status-bucket <url>', 's3://bucket/prefix/ where status lives [env NEO4J_ECS_STATUS_BUCKET]')
    .option('--url <url>', 'a running controller, e.g. http://controller:8080')
    .option('--json', 'print JSON')
    .action(async (cluster: string | undefined, opts: StatusOpts) => {
      const bucketUrl = opts.statusBucket ?? process.env['NEO4J_ECS_STATUS_BUCKET'];
      const sourceUrl = opts.source ?? process.env['NEO4J_ECS_SOURCE'];
      let statuses: ClusterStatus[];
      try {
        if (cluster !== undefined && !/^[a-z][-a-z0-9]{0,62}$/.test(cluster))
          throw new Error(`expected a cluster name (a DNS label), found ${JSON.stringify(cluster)}`);
        if (opts.url) statuses = await fromController(opts.url, cluster);
        else if (bucketUrl) statuses = await fromS3(statusFolder(bucketUrl, true), cluster);
        else if (sourceUrl?.startsWith('s3://'))
          statuses = await fromS3(statusFolder(sourceUrl, false), cluster);
        else
          throw new Error(
            'say where status is: --url http://controller:port, --source s3://…, or --status-bucket s3://…',
          );
      } catch (e) {
        console.error(`neo4j-ecs status: ${e instanceof Error ? e.message : String(e)}`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      if (opts.json) console.log(JSON.stringify(cluster ? (statuses[0] ?? null) : statuses, null, 2));
      else if (statuses.length === 0)
        console.log(cluster ? `no status for cluster ${cluster}` : 'no cluster status found');
      else
        for (const l of cluster ? formatStatus(statuses[0] as ClusterStatus) : formatStatuses(statuses))
          console.log(l);
      process.exitCode = cluster && statuses.length === 0 ? EXIT_NOT_FOUND : EXIT_FOUND;
    });
}
