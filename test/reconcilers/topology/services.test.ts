/**
 * Table tests of the service planner: primaries pinned to their volume, counted once placed; a running
 * primary's revision left to the roll, its network change to its next restart (NetworkChangePending);
 * secondaries; every service with the cluster's Cloud Map registry and the members' security groups,
 * and none created while either is missing.
 */
import type { ObservedService, ObservedTask } from '../../../src/model/observed.js';
import type { CreateService, UpdateService } from '../../../src/reconcilers/topology/services.js';
import {
  planServices,
  restartNetworkChanges,
  secondaryDeployment,
} from '../../../src/reconcilers/topology/services.js';
import { taskDefinitionFor } from '../../../src/reconcilers/topology/task-definitions.js';
import { ASGS, brief, cluster, instance, member, volume, world } from './fixtures.js';

const c = cluster();
const REGISTRY = 'arn:aws:servicediscovery:us-east-1:000000000000:service/srv-graph';
const attr = (n: number): string => `neo4j-ecs.member.${member(n)}`;

function placedWorld() {
  const w = world({
    volumes: [volume(1, { attachedTo: 'i-a' }), volume(2, { attachedTo: 'i-b' }), volume(3)],
  });
  w.topology!.instances[0] = instance('i-a', 'us-east-1a', { [attr(1)]: 'vol-1' });
  w.topology!.instances[1] = instance('i-b', 'us-east-1b', { [attr(2)]: 'vol-2' });
  w.topology!.asgs[ASGS[0]]!.subnetIds = ['subnet-a2', 'subnet-a1'];
  w.topology!.network = { registryArn: REGISTRY, securityGroupIds: ['sg-2', 'sg-1'] };
  for (const n of [1, 2, 3]) {
    const content = taskDefinitionFor(c, { kind: 'primary', member: member(n), volumeId: `vol-${n}` });
    w.topology!.taskDefinitions[member(n)] = {
      family: member(n),
      arn: `arn:td/${n}:1`,
      revision: 1,
      content,
    };
  }
  return w;
}

const svc = (n: number, over: Partial<ObservedService> = {}): ObservedService => ({
  name: member(n),
  status: 'ACTIVE',
  desiredCount: 1,
  runningCount: 1,
  pendingCount: 0,
  taskDefinition: `arn:td/${n}:1`,
  deployments: 1,
  placementConstraints: [{ type: 'memberOf', expression: `attribute:${attr(n)} == vol-${n}` }],
  deploymentConfiguration: { minimumHealthyPercent: 0, maximumPercent: 100 },
  serviceRegistries: [REGISTRY],
  securityGroups: ['sg-1', 'sg-2'],
  subnets: n === 1 ? ['subnet-a1', 'subnet-a2'] : [],
  ...over,
});
const task = (n: number): ObservedTask => ({
  taskArn: `t${n}`,
  group: `service:${member(n)}`,
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  taskDefinitionArn: `arn:td/${n}:1`,
});

describe('planServices', () => {
  it('creates one service per primary, desiredCount 1 only once placed, pinned to its volume id', () => {
    const steps = planServices(c, placedWorld());
    expect(brief(steps)).toEqual([
      `act:CreateService:${member(1)}`,
      `act:CreateService:${member(2)}`,
      `act:CreateService:${member(3)}`,
    ]);
    const [s1, , s3] = steps as CreateService[];
    expect(s1!.settings).toEqual({
      taskDefinition: 'arn:td/1:1',
      desiredCount: 1,
      placementConstraints: [{ type: 'memberOf', expression: `attribute:${attr(1)} == vol-1` }],
      placementStrategy: [],
      deploymentConfiguration: { minimumHealthyPercent: 0, maximumPercent: 100 },
      subnets: ['subnet-a1', 'subnet-a2'],
      registryArn: REGISTRY,
      securityGroups: ['sg-1', 'sg-2'],
    });
    expect(s3!.settings.subnets).toEqual([]);
    expect(s3!.settings.desiredCount).toBe(0);
  });

  it('is quiet in steady state and scales a placed member from 0 to 1', () => {
    const w = placedWorld();
    w.services = {
      [member(1)]: svc(1),
      [member(2)]: svc(2, { desiredCount: 0, runningCount: 0 }),
      [member(3)]: svc(3, { desiredCount: 0, runningCount: 0 }),
    };
    w.tasks = [task(1)];
    const steps = planServices(c, w);
    expect(brief(steps)).toEqual([`act:UpdateService:${member(2)}`]);
    expect((steps[0] as UpdateService).changes).toEqual({ desiredCount: 1 });
  });

  it('changes a primary task definition only while it has no task, else leaves it to the roll (no step)', () => {
    const w = placedWorld();
    w.services = {
      [member(1)]: svc(1, { taskDefinition: 'arn:td/1:0' }),
      [member(2)]: svc(2, { taskDefinition: 'arn:td/2:0', runningCount: 0 }),
      [member(3)]: svc(3, { desiredCount: 0, runningCount: 0 }),
    };
    w.tasks = [task(1)];
    const steps = planServices(c, w);
    expect(brief(steps)).toEqual([`act:UpdateService:${member(2)}`]);
    expect((steps[0] as UpdateService).changes).toEqual({ taskDefinition: 'arn:td/2:1' });
  });

  it('waits for a task definition that matches the spec before creating a service', () => {
    const w = placedWorld();
    delete w.topology!.taskDefinitions[member(3)];
    expect(brief(planServices(c, w))).toContain(`wait:TaskDefinitionPending:${member(3)}`);
  });

  it('secondaries: one spread service sized to the count, min/max from maxUnavailableSecondaries, scaled to 0', () => {
    const two = cluster((s) => {
      s['secondaries'] = { count: 2 };
      (s['capacity'] as Record<string, unknown>)['secondaryAutoScalingGroup'] = 'sec';
    });
    expect(secondaryDeployment(two)).toEqual({ minimumHealthyPercent: 50, maximumPercent: 100 });
    const w = placedWorld();
    w.topology!.taskDefinitions['graph-minimal-secondaries'] = {
      family: 'graph-minimal-secondaries',
      arn: 'arn:td/s:1',
      revision: 1,
      content: taskDefinitionFor(two, { kind: 'secondary' }),
    };
    const created = planServices(two, w).find(
      (s) => s.kind === 'act' && s.type === 'CreateService' && s.service === 'graph-minimal-secondaries',
    ) as CreateService;
    expect(created.settings).toMatchObject({
      desiredCount: 2,
      placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:neo4j-ecs.pool == secondaries' }],
    });
    w.topology!.services = {
      'graph-minimal-secondaries': {
        ...svc(1),
        name: 'graph-minimal-secondaries',
        desiredCount: 2,
        taskDefinition: 'arn:td/s:1',
        placementConstraints: created.settings.placementConstraints,
        deploymentConfiguration: secondaryDeployment(two),
      },
    };
    const down = planServices(c, w).find(
      (s) => s.kind === 'act' && s.type === 'UpdateService' && s.service === 'graph-minimal-secondaries',
    ) as UpdateService;
    expect(down.changes.desiredCount).toBe(0);
    expect(down.reason).toBe('SecondariesScaled');
  });

  describe('discovery registry and security groups', () => {
    const running = () => {
      const w = placedWorld();
      w.services = {
        [member(1)]: svc(1),
        [member(2)]: svc(2, { desiredCount: 0, runningCount: 0 }),
        [member(3)]: svc(3, { desiredCount: 0, runningCount: 0 }),
      };
      w.tasks = [task(1)];
      return w;
    };

    it.each([
      [
        'the Cloud Map service',
        { securityGroupIds: ['sg-1'] },
        ['blocked:DiscoveryServiceMissing'],
        'no Cloud Map service graph-minimal in the private DNS namespace neo4j.internal',
      ],
      [
        'the security group',
        { registryArn: REGISTRY, securityGroupIds: [] },
        ['blocked:SecurityGroupMissing'],
        'no security group tagged neo4j-ecs:cluster=graph-minimal',
      ],
      [
        'both',
        { securityGroupIds: [] },
        ['blocked:DiscoveryServiceMissing', 'blocked:SecurityGroupMissing'],
        'no Cloud Map service',
      ],
    ])('creates no service while %s is missing, and says so', (_what, network, holds, message) => {
      const w = placedWorld();
      w.topology!.network = network;
      const steps = planServices(c, w);
      expect(brief(steps)).toEqual(holds);
      expect(steps[0]!.message).toContain(message);
      // Not observed at all counts as missing too.
      delete w.topology!.network;
      expect(brief(planServices(c, w))).toEqual([
        'blocked:DiscoveryServiceMissing',
        'blocked:SecurityGroupMissing',
      ]);
    });

    it('still scales an existing service while a reference is missing, without touching its network settings', () => {
      const w = running();
      w.topology!.network = { securityGroupIds: [] };
      const steps = planServices(c, w);
      expect(brief(steps)).toEqual([
        `act:UpdateService:${member(2)}`,
        'blocked:DiscoveryServiceMissing',
        'blocked:SecurityGroupMissing',
      ]);
      expect((steps[0] as UpdateService).changes).toEqual({ desiredCount: 1 });
    });

    it('is quiet when the services carry the registry and the groups (in any order)', () => {
      const w = running();
      w.services[member(2)] = svc(2, { securityGroups: ['sg-2', 'sg-1'] });
      w.tasks.push(task(2));
      expect(brief(planServices(c, w))).toEqual([]);
    });

    it('sets them on a stopped primary’s service made by an older operator, keeping its subnets', () => {
      const w = running();
      w.services[member(2)] = svc(2, {
        serviceRegistries: [],
        securityGroups: ['sg-default'],
        subnets: ['subnet-b1'],
      });
      w.services[member(3)] = svc(3, { desiredCount: 0, runningCount: 0, serviceRegistries: [] });
      const steps = planServices(c, w);
      expect(brief(steps)).toEqual([`act:UpdateService:${member(2)}`, `act:UpdateService:${member(3)}`]);
      expect((steps[0] as UpdateService).changes).toEqual({
        registryArn: REGISTRY,
        securityGroups: ['sg-1', 'sg-2'],
        subnets: ['subnet-b1'],
      });
      expect((steps[1] as UpdateService).changes).toEqual({ registryArn: REGISTRY });
    });

    it('leaves a running primary’s network change to its next restart (NetworkChangePending), which carries it', () => {
      const w = running();
      w.services[member(1)] = svc(1, {
        serviceRegistries: [],
        securityGroups: ['sg-default'],
        subnets: ['subnet-a1'],
      });
      const steps = planServices(c, w);
      expect(brief(steps)).toEqual([
        `act:UpdateService:${member(2)}`,
        `refused:NetworkChangePending:${member(1)}`,
      ]);
      expect(steps[1]!.message).toContain("lacks the Cloud Map registry or the members' security groups");
      expect(restartNetworkChanges(w, member(1))).toEqual({
        registryArn: REGISTRY,
        securityGroups: ['sg-1', 'sg-2'],
        subnets: ['subnet-a1'],
      });
      expect(restartNetworkChanges(w, member(3))).toEqual({});
    });

    it('sets them on the secondaries’ service at once (ECS rolls it within its min/max)', () => {
      const one = cluster((sp) => {
        sp['secondaries'] = { count: 1 };
        (sp['capacity'] as Record<string, unknown>)['secondaryAutoScalingGroup'] = 'sec';
      });
      const w = running();
      w.topology!.taskDefinitions['graph-minimal-secondaries'] = {
        family: 'graph-minimal-secondaries',
        arn: 'arn:td/s:1',
        revision: 1,
        content: taskDefinitionFor(one, { kind: 'secondary' }),
      };
      w.services['graph-minimal-secondaries'] = {
        ...svc(1),
        name: 'graph-minimal-secondaries',
        taskDefinition: 'arn:td/s:1',
        placementConstraints: [{ type: 'memberOf', expression: 'attribute:neo4j-ecs.pool == secondaries' }],
        deploymentConfiguration: secondaryDeployment(one),
        serviceRegistries: [],
        securityGroups: [],
        subnets: [],
      };
      const sec = planServices(one, w).find(
        (x) => x.kind === 'act' && x.type === 'UpdateService' && x.service === 'graph-minimal-secondaries',
      ) as UpdateService;
      expect(sec.changes).toEqual({ registryArn: REGISTRY, securityGroups: ['sg-1', 'sg-2'], subnets: [] });
    });
  });
});
