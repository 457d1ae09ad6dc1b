/**
 * The topology concern: observes what the planners need besides the base observation (ASGs, hooks,
 * container instances with attributes, task definitions; and the members over Bolt), then runs the
 * pure planners in order (volumes, placement, task definitions, services, the drain of instances
 * waiting on the lifecycle hook, capacity, membership) through `runPlan`, each action with its thin
 * executor. A primaries scale-down is refused before anything runs.
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { NetworkLookup } from '../../aws/network.js';
import {
  describeEcsInstances,
  describeFamilies,
  describeModifications,
  describeZoneStates,
  observeTopology,
} from '../../aws/observe-topology.js';
import * as exec from '../../aws/topology-executors.js';
import type { Neo4jCluster } from '../../model/cluster.js';
import { MANAGED_BY, TAGS } from '../../model/observed.js';
import type {
  ObservedCluster,
  ObservedEcsInstance,
  ObservedTaskDefinition,
  ObservedTopology,
} from '../../model/observed.js';
import { primaryPlacement, secondaryServiceName } from '../../model/placement.js';
import { deallocateDatabases, dropServer, enableServer } from '../../neo4j/admin.js';
import { observeNeo4j } from '../../neo4j/observe.js';
import type { SecretReader } from '../../neo4j/secrets.js';
import { credentialsFromSecret } from '../../neo4j/secrets.js';
import { rollRunner } from '../roll/index.js';
import { planVersionGuard } from '../roll/version-guard.js';
import { withMemberAs } from '../leadership-executor.js';
import { mergeResults, runPlan } from '../run.js';
import type { ReconcileContext, ReconcileResult, Reconciler, Step } from '../types.js';
import { drainRunner } from '../drain/run.js';
import { planCapacity } from './capacity.js';
import { planMembership, planScaleDownGuard } from './membership.js';
import { planPlacement } from './placement.js';
import { planReadiness } from './readiness.js';
import { planServices } from './services.js';
import type { ServiceAction } from './services.js';
import { desiredTaskDefinitions, families, planTaskDefinitions, sameContent } from './task-definitions.js';
import { planVolumes } from './volumes.js';

export { planCapacity, desiredCapacities, transientReplacements } from './capacity.js';
export { planMembership, planScaleDownGuard } from './membership.js';
export { planPlacement, placedMembers, maxPrimariesOnSpot, qualifyingInstances } from './placement.js';
export { planReadiness } from './readiness.js';
export { planServices, secondaryDeployment } from './services.js';
export {
  planTaskDefinitions,
  taskDefinitionFor,
  neo4jEnvName,
  normalizeTaskDefinition,
} from './task-definitions.js';
export { planVolumes } from './volumes.js';

export interface TopologyDeps {
  ecs: ECSClient;
  ec2: EC2Client;
  autoscaling: AutoScalingClient;
  /** Cloud Map, to find the members' discovery service; without it no member service is created. */
  servicediscovery?: ServiceDiscoveryClient;
  /** Reads the credentials secret for the Bolt observation; without it Neo4j is not observed. */
  secrets?: SecretReader;
  /** Called with the password once read, so events and logs redact it. */
  onSecret?: (value: string) => void;
  /** Bound on each Bolt call of the observation. Default 3000 ms. */
  probeTimeoutMs?: number;
  /** When set, requeue after at most this many ms while work is in flight (tests on a fast twin). */
  recheckMs?: number;
}

const EMPTY: ReconcileResult = { actions: [], drift: 0, holds: [] };

/** The service steps without task-definition changes (a refused version): nothing new is rolled out or created. */
function withoutRevisionChanges(steps: Step<ServiceAction>[]): Step<ServiceAction>[] {
  return steps.flatMap((x): Step<ServiceAction>[] => {
    if (x.kind !== 'act') return x.reason === 'TaskDefinitionPending' ? [] : [x];
    if (x.type === 'CreateService') return [];
    const { taskDefinition: _td, ...changes } = x.changes;
    return Object.keys(changes).length > 0 ? [{ ...x, changes }] : [];
  });
}

async function observeMembers(
  deps: TopologyDeps,
  cluster: Neo4jCluster,
  observed: ObservedCluster,
): Promise<ObservedCluster['neo4j']> {
  if (!deps.secrets) return undefined;
  const addresses = observed.tasks
    .filter((t) => t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING' && t.address !== undefined)
    .map((t) => t.address as string)
    .sort();
  if (addresses.length === 0) return undefined;
  const arn = cluster.spec.credentials.secretArn;
  try {
    let creds = await credentialsFromSecret(deps.secrets, arn);
    deps.onSecret?.(creds.password);
    let seen = await observeNeo4j(addresses, creds, deps.probeTimeoutMs ?? 3000);
    if (seen.authFailed && deps.secrets.invalidate) {
      // The cached password may have been rotated: read the secret again at once, and retry if it changed.
      deps.secrets.invalidate(arn);
      const fresh = await credentialsFromSecret(deps.secrets, arn);
      if (fresh.user !== creds.user || fresh.password !== creds.password) {
        creds = fresh;
        deps.onSecret?.(creds.password);
        seen = await observeNeo4j(addresses, creds, deps.probeTimeoutMs ?? 3000);
      }
    }
    return seen;
  } catch {
    // Unreachable members and an unreadable secret are facts of this pass: no Neo4j view.
    return undefined;
  }
}

/** Most task-definition revisions remembered (by ARN; revisions never change, so this is a cache, not state). */
const TD_CACHE_MAX = 2000;

export function topologyReconciler(deps: TopologyDeps): Reconciler {
  const tdCache = new Map<string, unknown>();
  /** The members' Cloud Map service and security groups, cached (immutable references; src/aws/network.ts). */
  const network = deps.servicediscovery
    ? new NetworkLookup({ ec2: deps.ec2, servicediscovery: deps.servicediscovery })
    : undefined;
  /** Container-instance reads shared by the clusters observed at one instant (a pass group). */
  const sharedInstances = new Map<string, Promise<ObservedEcsInstance[]>>();
  const instancesAt = (
    ecsCluster: string,
    at: number,
    signal: AbortSignal,
  ): Promise<ObservedEcsInstance[]> => {
    const key = `${ecsCluster}@${at}`;
    let p = sharedInstances.get(key);
    if (!p) {
      p = describeEcsInstances(deps.ecs, ecsCluster, { abortSignal: signal });
      sharedInstances.set(key, p);
      p.catch(() => sharedInstances.delete(key));
      while (sharedInstances.size > 16) sharedInstances.delete(sharedInstances.keys().next().value as string);
    }
    return p;
  };
  /** Families whose service runs a cached revision with the content the spec asks for: no need to read them. */
  const knownDefinitions = (
    cluster: Neo4jCluster,
    observed: ObservedCluster,
  ): Record<string, ObservedTaskDefinition> => {
    const out: Record<string, ObservedTaskDefinition> = {};
    for (const [family, want] of desiredTaskDefinitions(cluster, observed)) {
      const arn = observed.services[family]?.taskDefinition;
      const content = arn !== undefined ? tdCache.get(arn) : undefined;
      if (arn === undefined || content === undefined || !sameContent(content, want)) continue;
      out[family] = { family, arn, revision: Number(arn.slice(arn.lastIndexOf(':') + 1)) || 0, content };
    }
    return out;
  };
  const remember = (tds: ObservedTopology['taskDefinitions']): void => {
    for (const td of Object.values(tds)) if (td) tdCache.set(td.arn, td.content);
    if (tdCache.size > TD_CACHE_MAX) tdCache.clear();
  };
  /** Spot market of the ASGs' instances, by id (an instance's market never changes: a cache, not state). */
  const spotCache = new Map<string, boolean>();
  const drain = drainRunner(deps);
  /** The content of the revisions the services run while they differ from the spec (to name what a roll changes); once per revision. */
  const learnRunningDefinitions = async (
    cluster: Neo4jCluster,
    observed: ObservedCluster,
    signal: AbortSignal,
  ): Promise<void> => {
    const unknown = families(cluster)
      .map((f) => (observed.services[f] ?? observed.topology?.services?.[f])?.taskDefinition)
      .filter((arn): arn is string => arn !== undefined && arn !== '' && !tdCache.has(arn));
    if (unknown.length > 0) remember(await describeFamilies(deps.ecs, unknown, { abortSignal: signal }));
  };
  const roll = rollRunner(deps);
  return {
    name: 'topology',
    async reconcile(ctx: ReconcileContext): Promise<ReconcileResult> {
      if (!ctx.observed.ecsClusterFound) return EMPTY;
      const cluster = ctx.cluster;
      const ecsCluster = cluster.spec.ecs.cluster;
      const spec = cluster.spec.capacity;
      const sec = secondaryServiceName(cluster.metadata.name);
      const topology = await observeTopology(
        deps,
        {
          ecsCluster,
          asgNames: [
            ...Object.values(spec.primaryAutoScalingGroups),
            ...(spec.secondaryAutoScalingGroup ? [spec.secondaryAutoScalingGroup] : []),
          ],
          families: families(cluster),
          extraServices: ctx.observed.services[sec] ? [] : [sec],
          knownTaskDefinitions: knownDefinitions(cluster, ctx.observed),
          instances: instancesAt(ecsCluster, ctx.observed.observedAt, ctx.signal),
          spotCache,
          services: families(cluster),
        },
        ctx.signal,
      );
      remember(topology.taskDefinitions);
      const namespace = cluster.spec.discovery.namespace;
      if (network)
        topology.network = await network.lookup(
          cluster.metadata.name,
          namespace,
          ctx.clock.now(),
          ctx.signal,
        );
      // A primaries' AZ without a connected container instance: lost, or capacity still coming? Ask EC2.
      const dark = [...new Set(primaryPlacement(cluster).map((slot) => slot.zone))].filter(
        (z) =>
          !topology.instances.some(
            (i) => i.availabilityZone === z && i.status === 'ACTIVE' && i.agentConnected,
          ),
      );
      if (dark.length > 0) topology.zoneStates = await describeZoneStates(deps.ec2, dark, ctx.signal);
      const observed: ObservedCluster = { ...ctx.observed, topology };
      const neo4j = await observeMembers(deps, cluster, observed);
      if (neo4j) observed.neo4j = neo4j;

      const guard = planScaleDownGuard(cluster, observed);
      if (guard.length > 0) return runPlan(ctx, guard, () => Promise.resolve());

      const s = ctx.signal;
      const tags = { [TAGS.cluster]: cluster.metadata.name, [TAGS.managedBy]: MANAGED_BY };
      let volumeSteps = planVolumes(cluster, observed);
      const growing = volumeSteps.flatMap((x) =>
        x.kind === 'act' && x.type === 'ModifyVolume' ? [x.volumeId] : [],
      );
      if (growing.length > 0) {
        // Only when a grow is planned: a volume still being modified cannot be modified again yet.
        const states = await describeModifications(deps.ec2, growing, s);
        observed.volumes = observed.volumes.map((v) =>
          states.has(v.volumeId) ? { ...v, modificationState: states.get(v.volumeId) as string } : v,
        );
        volumeSteps = planVolumes(cluster, observed);
      }
      let result = await runPlan(ctx, volumeSteps, async (a) => {
        if (a.type === 'CreateVolume') await exec.createVolume(deps.ec2, a, s);
        else if (a.type === 'ModifyVolume') await exec.modifyVolume(deps.ec2, a, s);
        else await exec.deleteVolume(deps.ec2, a.volumeId, s);
      });
      result = mergeResults(
        result,
        await runPlan(ctx, planPlacement(cluster, observed), async (a) => {
          if (a.type === 'AttachVolume') await exec.attachVolume(deps.ec2, a, s);
          else if (a.type === 'DetachVolume') await exec.detachVolume(deps.ec2, a, s);
          else if (a.type === 'PutAttributes') await exec.putAttribute(deps.ecs, ecsCluster, a, s);
          else await exec.deleteAttribute(deps.ecs, ecsCluster, a, s);
        }),
      );
      // The version guard runs before anything new is registered: a refused version changes no
      // running member's task definition or service (docs/roll.md).
      const versionRefusals = planVersionGuard(cluster, observed);
      result = mergeResults(result, await runPlan(ctx, versionRefusals, () => Promise.resolve()));
      const refused = versionRefusals.length > 0;
      if (!refused)
        result = mergeResults(
          result,
          await runPlan(ctx, planTaskDefinitions(cluster, observed), async (a) => {
            await exec.registerTaskDefinition(deps.ecs, a.definition, tags, s);
          }),
        );
      const serviceSteps = planServices(cluster, observed);
      result = mergeResults(
        result,
        await runPlan(ctx, refused ? withoutRevisionChanges(serviceSteps) : serviceSteps, async (a) => {
          try {
            if (a.type === 'CreateService')
              await exec.createService(deps.ecs, ecsCluster, a.service, a.settings, a.tags, s);
            else await exec.updateService(deps.ecs, ecsCluster, a.service, a.changes, s);
          } catch (e) {
            // The registry or a security group may be gone: look them up again next pass.
            network?.invalidate(cluster.metadata.name, namespace);
            throw e;
          }
        }),
      );
      // Instances waiting on the lifecycle hook: drain them (src/reconcilers/drain), then size the groups.
      result = mergeResults(result, await drain(ctx, cluster, observed));
      result = mergeResults(
        result,
        await runPlan(ctx, planCapacity(cluster, observed), async (a) => {
          if (a.type === 'UpdateAutoScalingGroup') await exec.updateAutoScalingGroup(deps.autoscaling, a, s);
          else if (a.type === 'SetInstanceProtection')
            await exec.setInstanceProtection(deps.autoscaling, a, s);
          else await exec.putLifecycleHook(deps.autoscaling, a, s);
        }),
      );
      result = mergeResults(
        result,
        await runPlan(ctx, planMembership(cluster, observed), async (a) => {
          await withMemberAs(deps, cluster.spec.credentials.secretArn, a.via, async (c) => {
            if (a.type === 'EnableServer')
              await enableServer(c, a.serverId, { modeConstraint: a.modeConstraint });
            else if (a.type === 'DeallocateServer')
              await deallocateDatabases(c, [a.serverId], { dryRun: false });
            else await dropServer(c, a.serverId);
          });
        }),
      );
      if (!refused) {
        await learnRunningDefinitions(cluster, observed, s);
        result = mergeResults(result, await roll.run(ctx, observed, (arn) => tdCache.get(arn)));
      }
      // Last: what is still coming up keeps the cluster Progressing rather than Ready.
      result = mergeResults(
        result,
        await runPlan(
          ctx,
          planReadiness(cluster, observed, { neo4jObserved: deps.secrets !== undefined }),
          () => Promise.resolve(),
        ),
      );
      if (neo4j) result.neo4j = neo4j;
      const busy = result.actions.length > 0 || result.holds.some((h) => h.kind === 'wait');
      if (deps.recheckMs !== undefined && busy)
        result.requeueAfterMs = Math.min(result.requeueAfterMs ?? deps.recheckMs, deps.recheckMs);
      else if (busy && result.requeueAfterMs === undefined) result.requeueAfterMs = 5_000;
      return result;
    },
  };
}
