/** Table tests of the service planner: primaries pinned to their volume, counted once placed; a running primary's revision left to the roll; secondaries. */
import type { ObservedService, ObservedTask } from '../../../src/model/observed.js';
import type { CreateService, UpdateService } from '../../../src/reconcilers/topology/services.js';
import { planServices, secondaryDeployment } from '../../../src/reconcilers/topology/services.js';
import { taskDefinitionFor } from '../../../src/reconcilers/topology/task-definitions.js';
import { ASGS, brief, cluster, instance, member, volume, world } from './fixtures.js';

const c = cluster();
const attr = (n: number): string => `neo4j-ecs.member.${member(n)}`;

function placedWorld() {
  const w = world({
    volumes: [volume(1, { attachedTo: 'i-a' }), volume(2, { attachedTo: 'i-b' }), volume(3)],
  });
  w.topology!.instances[0] = instance('i-a', 'us-east-1a', { [attr(1)]: 'vol-1' });
  w.topology!.instances[1] = instance('i-b', 'us-east-1b', { [attr(2)]: 'vol-2' });
  w.topology!.asgs[ASGS[0]]!.subnetIds = ['subnet-a2', 'subnet-a1'];
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
});
