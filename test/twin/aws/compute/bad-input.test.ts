/**
 * Bad requests never crash the compute simulation: every operation, fed missing, mistyped and
 * malformed members, either succeeds or throws an AwsError with a 4xx status.
 */
import { AwsError, type Wire } from '../../../../twin/aws/contract.js';
import { clusterWithAsg, harness, type Harness, registerTd, waitForInstances } from './harness.js';

const NASTY: unknown[] = [
  undefined,
  null,
  '',
  'x',
  '-1',
  12.5,
  -3,
  true,
  [],
  ['a', 'b'],
  {},
  { member: 'x' },
  [{}],
  [{ Name: 1 }],
  'i-00000000000000000',
];

const KEYS = [
  'InstanceId',
  'VolumeId',
  'Device',
  'Size',
  'VolumeType',
  'Iops',
  'AvailabilityZone',
  'Filter',
  'MaxResults',
  'NextToken',
  'MinCount',
  'MaxCount',
  'ImageId',
  'LaunchTemplate',
  'LaunchTemplateData',
  'LaunchTemplateName',
  'TagSpecification',
  'Tag',
  'ResourceId',
  'AutoScalingGroupName',
  'MinSize',
  'MaxSize',
  'DesiredCapacity',
  'VPCZoneIdentifier',
  'AvailabilityZones',
  'LifecycleHookName',
  'LifecycleTransition',
  'HeartbeatTimeout',
  'LifecycleActionResult',
  'LifecycleActionToken',
  'InstanceIds',
  'ShouldDecrementDesiredCapacity',
  'ProtectedFromScaleIn',
  'Tags',
  'Filters',
  'MaxRecords',
  'cluster',
  'clusterName',
  'serviceName',
  'service',
  'taskDefinition',
  'desiredCount',
  'family',
  'containerDefinitions',
  'volumes',
  'placementConstraints',
  'placementStrategy',
  'deploymentConfiguration',
  'tasks',
  'task',
  'containerInstances',
  'containerInstance',
  'status',
  'attributes',
  'targetType',
  'filter',
  'count',
  'overrides',
  'tags',
  'resourceArn',
  'include',
  'maxResults',
  'nextToken',
  'instanceIdentityDocument',
];

describe('bad input to every compute operation', () => {
  let h: Harness;
  beforeAll(async () => {
    h = harness();
    const { cluster } = await clusterWithAsg(h, { cluster: 'default', desired: 1 });
    await waitForInstances(h, cluster, 1);
    await registerTd(h, 'w');
  });
  afterAll(() => h.stop());

  it('answers with an AwsError (4xx) or a result, never a crash', async () => {
    let calls = 0;
    let errors = 0;
    for (const mod of h.sim.modules) {
      for (const [op, handler] of Object.entries(mod.operations)) {
        const inputs: unknown[] = [{}, null, 'not an object', [1, 2]];
        for (const key of KEYS) for (const v of NASTY) inputs.push({ [key]: v });
        for (const input of inputs) {
          calls++;
          try {
            await handler(input as Wire, {
              requestId: 'r',
              region: 'us-east-1',
              accountId: '123456789012',
              now: h.clock.now(),
            });
          } catch (err) {
            errors++;
            if (!(err instanceof AwsError))
              throw new Error(`${mod.service}.${op}(${JSON.stringify(input)}) crashed: ${String(err)}`);
            expect(err.status).toBeGreaterThanOrEqual(400);
            expect(err.status).toBeLessThan(500);
            expect(err.message.length).toBeGreaterThan(0);
          }
        }
      }
    }
    expect(calls).toBeGreaterThan(10_000);
    expect(errors).toBeGreaterThan(calls / 2);
    // The world still works afterwards.
    await h.advance(30_000);
    expect(h.world.list('twin.error')).toEqual([]);
  });
});
