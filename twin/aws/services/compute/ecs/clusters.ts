/**
 * ECS clusters: CreateCluster (idempotent), DescribeClusters (failures for missing ones),
 * ListClusters, DeleteCluster (refused while instances, services or tasks remain), plus ECS resource
 * tagging (TagResource, UntagResource, ListTagsForResource) over every ECS resource kind.
 */
import { AwsError, type OperationHandler, type Wire } from '../../../contract.js';
import { ecsBadToken, ecsInvalid, ecsReader } from '../errors.js';
import type { Sim } from '../sim.js';
import type { Cluster } from '../state.js';
import { compact, paginate, type Reader, type Tags } from '../util.js';

const NAME_RE = /^[A-Za-z0-9_-]{1,255}$/;

export function readEcsTags(r: Reader, member = 'tags'): Tags {
  const tags: Tags = {};
  const list = r.objList(member);
  if (list.length > 50) throw ecsInvalid('A resource can have at most 50 tags.');
  for (const t of list) {
    const key = t.str('key');
    if (!key) throw ecsInvalid('Tag key must not be empty.');
    if (key.length > 128) throw ecsInvalid('Tag key must be at most 128 characters.');
    tags[key] = t.str('value') ?? '';
  }
  return tags;
}

export function ecsTagsWire(tags: Tags): Wire[] {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

export class Clusters {
  constructor(private readonly sim: Sim) {}

  arn(name: string): string {
    return `arn:aws:ecs:${this.sim.region}:${this.sim.accountId}:cluster/${name}`;
  }

  /** By name or ARN (default "default"); INACTIVE clusters count as not found. */
  get(ref?: string): Cluster {
    const name = (ref ?? 'default').replace(/^arn:aws[a-z-]*:ecs:[^:]*:\d*:cluster\//, '');
    const c = this.sim.state.clusters.get(name);
    if (!c || c.status !== 'ACTIVE') throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
    return c;
  }

  find(name: string): Cluster | undefined {
    const c = this.sim.state.clusters.get(name);
    return c?.status === 'ACTIVE' ? c : undefined;
  }

  byArn(arn: string): Cluster | undefined {
    return [...this.sim.state.clusters.values()].find((c) => c.arn === arn);
  }

  wire(c: Cluster, include: string[]): Wire {
    const s = this.sim.state;
    const cis = [...s.containerInstances.values()].filter(
      (ci) => ci.clusterArn === c.arn && ci.status !== 'INACTIVE',
    );
    const tasks = [...s.tasks.values()].filter(
      (t) => t.clusterArn === c.arn && t.desiredStatus === 'RUNNING',
    );
    return compact({
      clusterArn: c.arn,
      clusterName: c.name,
      status: c.status,
      registeredContainerInstancesCount: cis.length,
      runningTasksCount: tasks.filter((t) => t.lastStatus === 'RUNNING').length,
      pendingTasksCount: tasks.filter((t) => t.lastStatus !== 'RUNNING' && t.lastStatus !== 'STOPPED').length,
      activeServicesCount: [...s.services.values()].filter(
        (x) => x.clusterArn === c.arn && x.status === 'ACTIVE',
      ).length,
      statistics: [],
      tags: include.includes('TAGS') ? ecsTagsWire(c.tags) : [],
      settings: c.settings,
      capacityProviders: [],
      defaultCapacityProviderStrategy: [],
    });
  }

  readonly operations: Record<string, OperationHandler> = {
    CreateCluster: (input) => {
      const r = ecsReader(input);
      const name = r.str('clusterName') ?? 'default';
      if (!NAME_RE.test(name))
        throw ecsInvalid('Cluster name must be 1-255 letters, numbers, hyphens and underscores.');
      const tags = readEcsTags(r);
      const settings = r
        .objList('settings')
        .map((x) => ({ name: x.reqStr('name'), value: x.reqStr('value') }));
      for (const st of settings)
        if (st.name !== 'containerInsights' || !['enabled', 'disabled', 'enhanced'].includes(st.value))
          throw ecsInvalid(`Invalid cluster setting ${st.name}=${st.value}.`);
      const existing = this.sim.state.clusters.get(name);
      if (existing?.status === 'ACTIVE') return { cluster: this.wire(existing, ['TAGS']) };
      const c: Cluster = {
        name,
        arn: this.arn(name),
        status: 'ACTIVE',
        tags,
        settings: settings.length ? settings : [{ name: 'containerInsights', value: 'disabled' }],
        createdAt: this.sim.now(),
      };
      this.sim.state.clusters.set(name, c);
      this.sim.log('ecs.cluster', { cluster: name, event: 'created' });
      return { cluster: this.wire(c, ['TAGS']) };
    },

    DescribeClusters: (input) => {
      const r = ecsReader(input);
      const refs = r.strList('clusters');
      if (refs.length > 100) throw ecsInvalid('clusters can have at most 100 items.');
      const include = r.strList('include');
      const clusters: Wire[] = [];
      const failures: Wire[] = [];
      for (const ref of refs.length ? refs : ['default']) {
        const name = ref.replace(/^arn:aws[a-z-]*:ecs:[^:]*:\d*:cluster\//, '');
        const c = this.sim.state.clusters.get(name);
        if (c) clusters.push(this.wire(c, include));
        else failures.push({ arn: ref.startsWith('arn:') ? ref : this.arn(ref), reason: 'MISSING' });
      }
      return { clusters, failures };
    },

    ListClusters: (input) => {
      const r = ecsReader(input);
      const arns = [...this.sim.state.clusters.values()]
        .filter((c) => c.status === 'ACTIVE')
        .map((c) => c.arn);
      const { page, next } = paginate(
        arns,
        r.str('nextToken'),
        r.int('maxResults', { min: 1, max: 100 }) ?? 100,
        'clusters',
        ecsBadToken,
      );
      return compact({ clusterArns: page, nextToken: next });
    },

    DeleteCluster: (input) => {
      const r = ecsReader(input);
      const c = this.get(r.reqStr('cluster'));
      const s = this.sim.state;
      if (
        [...s.containerInstances.values()].some((ci) => ci.clusterArn === c.arn && ci.status !== 'INACTIVE')
      )
        throw new AwsError(
          'ClusterContainsContainerInstancesException',
          'The Cluster cannot be deleted while Container Instances are active or draining.',
        );
      if ([...s.services.values()].some((x) => x.clusterArn === c.arn && x.status !== 'INACTIVE'))
        throw new AwsError(
          'ClusterContainsServicesException',
          'The Cluster cannot be deleted while Services are active.',
        );
      if ([...s.tasks.values()].some((t) => t.clusterArn === c.arn && t.lastStatus !== 'STOPPED'))
        throw new AwsError(
          'ClusterContainsTasksException',
          'The Cluster cannot be deleted while Tasks are active.',
        );
      c.status = 'INACTIVE';
      this.sim.log('ecs.cluster', { cluster: c.name, event: 'deleted' });
      return { cluster: this.wire(c, []) };
    },

    TagResource: (input) => {
      const r = ecsReader(input);
      const tags = this.tagsOf(r.reqStr('resourceArn'));
      const add = readEcsTags(r);
      if (Object.keys({ ...tags, ...add }).length > 50)
        throw ecsInvalid('A resource can have at most 50 tags.');
      Object.assign(tags, add);
      return {};
    },

    UntagResource: (input) => {
      const r = ecsReader(input);
      const tags = this.tagsOf(r.reqStr('resourceArn'));
      for (const k of r.strList('tagKeys')) delete tags[k];
      return {};
    },

    ListTagsForResource: (input) => {
      const r = ecsReader(input);
      return { tags: ecsTagsWire(this.tagsOf(r.reqStr('resourceArn'))) };
    },
  };

  private tagsOf(arn: string): Tags {
    const s = this.sim.state;
    const found =
      [...s.clusters.values()].find((c) => c.arn === arn) ??
      s.services.get(arn) ??
      s.tasks.get(arn) ??
      s.containerInstances.get(arn) ??
      [...s.taskDefinitions.values()].find((t) => t.arn === arn);
    if (!found) throw ecsInvalid(`The specified resource is not found: ${arn}`);
    return found.tags;
  }
}
