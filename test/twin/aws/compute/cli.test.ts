/**
 * Every compute operation the twin serves, driven by the real AWS CLI (botocore) with --endpoint-url.
 * The twin runs on a manual clock; the test advances virtual time between commands.
 */
/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any -- the CLI's JSON output is untyped */
import { VirtualClock } from '../../../../twin/core/clock.js';
import { type AwsTwin, awsCli, awsCliRaw, startTestTwin } from '../../../helpers/twin.js';
import { FAST } from './harness.js';

type J = Record<string, any>;

let twin: AwsTwin;
const clock = new VirtualClock({ mode: 'manual' });

const kebab = (op: string): string => op.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

/** `aws <service> <op> --cli-input-json <input>`; returns the parsed output. */
async function cli(service: string, op: string, input: Record<string, unknown> = {}): Promise<J> {
  const args = [service, kebab(op)];
  if (Object.keys(input).length) args.push('--cli-input-json', JSON.stringify(input));
  const out: unknown = await awsCli(twin, args);
  return typeof out === 'object' && out !== null ? out : {};
}

/**
 * For operations newer than the installed CLI (Debian's awscli 2.9 predates e.g. DeleteTaskDefinitions,
 * 2023): runs the command; when the CLI does not know the operation, asserts exactly that and returns
 * undefined (the SDK suites cover the operation). Otherwise returns the parsed output.
 */
async function cliIfKnown(
  service: string,
  op: string,
  input: Record<string, unknown>,
): Promise<J | undefined> {
  const r = await awsCliRaw(twin, [service, kebab(op), '--cli-input-json', JSON.stringify(input)]);
  if (r.exitCode !== 0 && /Invalid choice/.test(r.stderr)) {
    console.warn(`this AWS CLI has no ${service} ${kebab(op)}; covered by the SDK suite`);
    return undefined;
  }
  expect(r.exitCode).toBe(0);
  return r.json ?? {};
}

/** Expects the command to fail with this AWS error code. */
async function cliFails(
  service: string,
  op: string,
  input: Record<string, unknown>,
  code: string,
): Promise<void> {
  const r = await awsCliRaw(twin, [service, kebab(op), '--cli-input-json', JSON.stringify(input)]);
  expect(r.exitCode).not.toBe(0);
  expect(r.errorCode).toBe(code);
}

beforeAll(async () => {
  twin = await startTestTwin({ clock, params: FAST });
});
afterAll(async () => {
  await twin.stop();
  clock.stop();
});

const T = 180_000;

describe('the AWS CLI against the compute twin', () => {
  let subnets: { SubnetId: string; AvailabilityZone: string }[] = [];
  let ltId = '';

  it(
    'EC2: AZs, VPCs, subnets, launch templates, instances and tags',
    async () => {
      const azs = await cli('ec2', 'DescribeAvailabilityZones');
      expect(azs.AvailabilityZones.map((z: J) => z.ZoneName)).toEqual([
        'us-east-1a',
        'us-east-1b',
        'us-east-1c',
      ]);
      expect((await cli('ec2', 'DescribeRegions')).Regions[0].RegionName).toBe('us-east-1');
      const vpcs = await cli('ec2', 'DescribeVpcs', { Filters: [{ Name: 'is-default', Values: ['true'] }] });
      const vpcId = vpcs.Vpcs[0].VpcId as string;
      subnets = (await cli('ec2', 'DescribeSubnets', { Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))
        .Subnets;
      expect(subnets).toHaveLength(3);
      const sn = await cli('ec2', 'CreateSubnet', {
        VpcId: vpcId,
        CidrBlock: '172.31.80.0/24',
        AvailabilityZone: 'us-east-1b',
      });
      await cli('ec2', 'DeleteSubnet', { SubnetId: sn.Subnet.SubnetId });
      const lt = await cli('ec2', 'CreateLaunchTemplate', {
        LaunchTemplateName: 'cli-lt',
        LaunchTemplateData: {
          ImageId: 'ami-cli',
          InstanceType: 'r6i.large',
          UserData: Buffer.from('#!/bin/bash\necho ECS_CLUSTER=cli >> /etc/ecs/ecs.config').toString(
            'base64',
          ),
        },
      });
      ltId = lt.LaunchTemplate.LaunchTemplateId;
      await cli('ec2', 'CreateLaunchTemplateVersion', {
        LaunchTemplateId: ltId,
        SourceVersion: '1',
        LaunchTemplateData: { InstanceType: 'r6i.xlarge' },
      });
      await cli('ec2', 'ModifyLaunchTemplate', { LaunchTemplateId: ltId, DefaultVersion: '1' });
      expect(
        (await cli('ec2', 'DescribeLaunchTemplates', { LaunchTemplateNames: ['cli-lt'] })).LaunchTemplates[0]
          .LatestVersionNumber,
      ).toBe(2);
      const vers = await cli('ec2', 'DescribeLaunchTemplateVersions', {
        LaunchTemplateId: ltId,
        Versions: ['$Latest'],
      });
      expect(vers.LaunchTemplateVersions[0].LaunchTemplateData.InstanceType).toBe('r6i.xlarge');
      const run = await cli('ec2', 'RunInstances', {
        ImageId: 'ami-x',
        InstanceType: 't3.micro',
        MinCount: 2,
        MaxCount: 2,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'cli', Value: 'yes' }] }],
      });
      const ids = run.Instances.map((i: J) => i.InstanceId as string);
      await clock.advance(2_000);
      const desc = await cli('ec2', 'DescribeInstances', {
        Filters: [
          { Name: 'tag:cli', Values: ['yes'] },
          { Name: 'instance-state-name', Values: ['running'] },
        ],
      });
      expect(desc.Reservations.flatMap((r: J) => r.Instances.map((i: J) => i.InstanceId)).sort()).toEqual(
        [...ids].sort(),
      );
      expect(
        (await cli('ec2', 'DescribeInstanceStatus', { InstanceIds: ids })).InstanceStatuses,
      ).toHaveLength(2);
      expect(
        (await cli('ec2', 'StopInstances', { InstanceIds: [ids[0]] })).StoppingInstances[0].CurrentState.Name,
      ).toBe('stopping');
      await clock.advance(2_000);
      expect(
        (await cli('ec2', 'StartInstances', { InstanceIds: [ids[0]] })).StartingInstances[0].CurrentState
          .Name,
      ).toBe('pending');
      await cli('ec2', 'CreateTags', { Resources: ids, Tags: [{ Key: 'k', Value: 'v' }] });
      await cli('ec2', 'DeleteTags', { Resources: [ids[1]], Tags: [{ Key: 'k' }] });
      const tags = await cli('ec2', 'DescribeTags', { Filters: [{ Name: 'key', Values: ['k'] }] });
      expect(tags.Tags.map((t: J) => t.ResourceId)).toEqual([ids[0]]);
      expect(
        (await cli('ec2', 'TerminateInstances', { InstanceIds: ids })).TerminatingInstances,
      ).toHaveLength(2);
      await cliFails(
        'ec2',
        'DescribeInstances',
        { InstanceIds: ['i-0000000000000beef'] },
        'InvalidInstanceID.NotFound',
      );
      await cliFails(
        'ec2',
        'CreateLaunchTemplate',
        { LaunchTemplateName: 'cli-lt', LaunchTemplateData: { ImageId: 'x' } },
        'InvalidLaunchTemplateName.AlreadyExistsException',
      );
    },
    T,
  );

  it(
    'EBS: volumes, attachments, modifications, snapshots',
    async () => {
      const run = await cli('ec2', 'RunInstances', {
        ImageId: 'ami-x',
        MinCount: 1,
        MaxCount: 1,
        Placement: { AvailabilityZone: 'us-east-1a' },
      });
      const instanceId = run.Instances[0].InstanceId as string;
      await clock.advance(2_000);
      const vol = await cli('ec2', 'CreateVolume', {
        AvailabilityZone: 'us-east-1a',
        Size: 10,
        VolumeType: 'gp3',
        TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'member', Value: 'cli' }] }],
      });
      expect(vol.State).toBe('creating');
      const far = await cli('ec2', 'CreateVolume', { AvailabilityZone: 'us-east-1c', Size: 10 });
      await clock.advance(1_000);
      await cliFails(
        'ec2',
        'AttachVolume',
        { VolumeId: far.VolumeId, InstanceId: instanceId, Device: '/dev/sdf' },
        'InvalidVolume.ZoneMismatch',
      );
      expect(
        (
          await cli('ec2', 'AttachVolume', {
            VolumeId: vol.VolumeId,
            InstanceId: instanceId,
            Device: '/dev/sdf',
          })
        ).State,
      ).toBe('attaching');
      await cliFails('ec2', 'DeleteVolume', { VolumeId: vol.VolumeId }, 'VolumeInUse');
      await clock.advance(1_000);
      const d = await cli('ec2', 'DescribeVolumes', {
        Filters: [
          { Name: 'tag:member', Values: ['cli'] },
          { Name: 'status', Values: ['in-use'] },
        ],
      });
      expect(d.Volumes[0].Attachments[0].State).toBe('attached');
      expect(
        (await cli('ec2', 'ModifyVolume', { VolumeId: vol.VolumeId, Size: 20 })).VolumeModification
          .TargetSize,
      ).toBe(20);
      await clock.advance(2_000);
      expect(
        (await cli('ec2', 'DescribeVolumesModifications', { VolumeIds: [vol.VolumeId] }))
          .VolumesModifications[0].ModificationState,
      ).toBe('completed');
      const snap = await cli('ec2', 'CreateSnapshot', { VolumeId: vol.VolumeId, Description: 'cli' });
      await clock.advance(2_000);
      expect(
        (await cli('ec2', 'DescribeSnapshots', { SnapshotIds: [snap.SnapshotId] })).Snapshots[0].State,
      ).toBe('completed');
      const restored = await cli('ec2', 'CreateVolume', {
        AvailabilityZone: 'us-east-1c',
        SnapshotId: snap.SnapshotId,
      });
      expect(restored.Size).toBe(20);
      expect(
        (await cli('ec2', 'DetachVolume', { VolumeId: vol.VolumeId, InstanceId: instanceId })).State,
      ).toBe('detaching');
      await clock.advance(1_000);
      await cli('ec2', 'DeleteVolume', { VolumeId: vol.VolumeId });
      await cli('ec2', 'DeleteSnapshot', { SnapshotId: snap.SnapshotId });
      await cliFails(
        'ec2',
        'CreateVolume',
        { AvailabilityZone: 'us-east-1a', Size: 10, VolumeType: 'io2' },
        'MissingParameter',
      );
    },
    T,
  );

  it(
    'Auto Scaling: groups, capacity, protection, lifecycle hooks, activities, launch configurations',
    async () => {
      await cli('ecs', 'CreateCluster', { clusterName: 'cli' });
      await cli('autoscaling', 'CreateAutoScalingGroup', {
        AutoScalingGroupName: 'cli-g',
        LaunchTemplate: { LaunchTemplateId: ltId, Version: '$Default' },
        MinSize: 0,
        MaxSize: 4,
        DesiredCapacity: 2,
        VPCZoneIdentifier: subnets.map((s) => s.SubnetId).join(','),
        LifecycleHookSpecificationList: [
          {
            LifecycleHookName: 'drain',
            LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
            HeartbeatTimeout: 300,
          },
        ],
      });
      await clock.advance(5_000);
      const g = (await cli('autoscaling', 'DescribeAutoScalingGroups', { AutoScalingGroupNames: ['cli-g'] }))
        .AutoScalingGroups[0];
      expect(g.Instances.map((i: J) => i.LifecycleState)).toEqual(['InService', 'InService']);
      const [a, b] = g.Instances.map((i: J) => i.InstanceId as string);
      expect(
        (await cli('autoscaling', 'DescribeAutoScalingInstances', { InstanceIds: [a] }))
          .AutoScalingInstances[0].AutoScalingGroupName,
      ).toBe('cli-g');
      await cli('autoscaling', 'SetInstanceProtection', {
        AutoScalingGroupName: 'cli-g',
        InstanceIds: [a],
        ProtectedFromScaleIn: true,
      });
      await cliFails(
        'autoscaling',
        'SetDesiredCapacity',
        { AutoScalingGroupName: 'cli-g', DesiredCapacity: 10 },
        'ValidationError',
      );
      await cli('autoscaling', 'SetDesiredCapacity', { AutoScalingGroupName: 'cli-g', DesiredCapacity: 1 });
      await clock.advance(1);
      const waiting = (
        await cli('autoscaling', 'DescribeAutoScalingGroups', { AutoScalingGroupNames: ['cli-g'] })
      ).AutoScalingGroups[0].Instances;
      expect(waiting.find((i: J) => i.InstanceId === b).LifecycleState).toBe('Terminating:Wait');
      expect(
        (await cli('autoscaling', 'DescribeLifecycleHooks', { AutoScalingGroupName: 'cli-g' }))
          .LifecycleHooks[0].GlobalTimeout,
      ).toBe(30000);
      expect((await cli('autoscaling', 'DescribeLifecycleHookTypes')).LifecycleHookTypes).toHaveLength(2);
      await cli('autoscaling', 'RecordLifecycleActionHeartbeat', {
        AutoScalingGroupName: 'cli-g',
        LifecycleHookName: 'drain',
        InstanceId: b,
      });
      await cliFails(
        'autoscaling',
        'CompleteLifecycleAction',
        {
          AutoScalingGroupName: 'cli-g',
          LifecycleHookName: 'drain',
          LifecycleActionResult: 'CONTINUE',
          InstanceId: a,
        },
        'ValidationError',
      );
      await cli('autoscaling', 'CompleteLifecycleAction', {
        AutoScalingGroupName: 'cli-g',
        LifecycleHookName: 'drain',
        LifecycleActionResult: 'CONTINUE',
        InstanceId: b,
      });
      await clock.advance(2_000);
      expect(
        (
          await cli('autoscaling', 'DescribeAutoScalingGroups', { AutoScalingGroupNames: ['cli-g'] })
        ).AutoScalingGroups[0].Instances.map((i: J) => i.InstanceId),
      ).toEqual([a]);
      await cli('autoscaling', 'PutLifecycleHook', {
        AutoScalingGroupName: 'cli-g',
        LifecycleHookName: 'warm',
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
        HeartbeatTimeout: 60,
        DefaultResult: 'CONTINUE',
      });
      await cli('autoscaling', 'UpdateAutoScalingGroup', {
        AutoScalingGroupName: 'cli-g',
        DesiredCapacity: 2,
      });
      await clock.advance(65_000);
      expect(
        (
          await cli('autoscaling', 'DescribeAutoScalingGroups', { AutoScalingGroupNames: ['cli-g'] })
        ).AutoScalingGroups[0].Instances.every((i: J) => i.LifecycleState === 'InService'),
      ).toBe(true);
      await cli('autoscaling', 'DeleteLifecycleHook', {
        AutoScalingGroupName: 'cli-g',
        LifecycleHookName: 'warm',
      });
      const act = await cli('autoscaling', 'TerminateInstanceInAutoScalingGroup', {
        InstanceId: a,
        ShouldDecrementDesiredCapacity: false,
      });
      expect(act.Activity.Description).toContain(a);
      await cli('autoscaling', 'SetInstanceHealth', { InstanceId: a, HealthStatus: 'Unhealthy' });
      await cli('autoscaling', 'SuspendProcesses', {
        AutoScalingGroupName: 'cli-g',
        ScalingProcesses: ['AZRebalance'],
      });
      await cli('autoscaling', 'ResumeProcesses', { AutoScalingGroupName: 'cli-g' });
      const acts = await cli('autoscaling', 'DescribeScalingActivities', { AutoScalingGroupName: 'cli-g' });
      expect(acts.Activities.length).toBeGreaterThan(3);
      await cli('autoscaling', 'CreateLaunchConfiguration', {
        LaunchConfigurationName: 'cli-lc',
        ImageId: 'ami',
        InstanceType: 't3.medium',
      });
      expect(
        (await cli('autoscaling', 'DescribeLaunchConfigurations')).LaunchConfigurations[0]
          .LaunchConfigurationName,
      ).toBe('cli-lc');
      await cli('autoscaling', 'DeleteLaunchConfiguration', { LaunchConfigurationName: 'cli-lc' });
      await cliFails(
        'autoscaling',
        'DeleteAutoScalingGroup',
        { AutoScalingGroupName: 'cli-g' },
        'ResourceInUse',
      );
    },
    T,
  );

  it(
    'ECS: clusters, container instances, attributes, task definitions, services, tasks, tags',
    async () => {
      await clock.advance(5_000);
      const clusters = await cli('ecs', 'DescribeClusters', { clusters: ['cli'] });
      expect(clusters.clusters[0].registeredContainerInstancesCount).toBeGreaterThanOrEqual(2);
      expect((await cli('ecs', 'ListClusters')).clusterArns).toContain(clusters.clusters[0].clusterArn);
      const ciArns = (await cli('ecs', 'ListContainerInstances', { cluster: 'cli' }))
        .containerInstanceArns as string[];
      const cis = (
        await cli('ecs', 'DescribeContainerInstances', { cluster: 'cli', containerInstances: ciArns })
      ).containerInstances;
      expect(cis.every((c: J) => c.agentConnected)).toBe(true);
      await cli('ecs', 'PutAttributes', {
        cluster: 'cli',
        attributes: [{ name: 'slot', value: 'one', targetType: 'container-instance', targetId: ciArns[0] }],
      });
      expect(
        (
          await cli('ecs', 'ListAttributes', {
            cluster: 'cli',
            targetType: 'container-instance',
            attributeName: 'slot',
          })
        ).attributes,
      ).toHaveLength(1);
      expect(
        (await cli('ecs', 'ListContainerInstances', { cluster: 'cli', filter: 'attribute:slot == one' }))
          .containerInstanceArns,
      ).toEqual([ciArns[0]]);
      const td = await cli('ecs', 'RegisterTaskDefinition', {
        family: 'cli-td',
        containerDefinitions: [{ name: 'app', image: 'app:1', memory: 256 }],
      });
      expect(td.taskDefinition.revision).toBe(1);
      await cli('ecs', 'RegisterTaskDefinition', {
        family: 'cli-td',
        containerDefinitions: [{ name: 'app', image: 'app:2', memory: 256 }],
      });
      expect(
        (await cli('ecs', 'DescribeTaskDefinition', { taskDefinition: 'cli-td' })).taskDefinition.revision,
      ).toBe(2);
      expect(
        (await cli('ecs', 'ListTaskDefinitions', { familyPrefix: 'cli-td' })).taskDefinitionArns,
      ).toHaveLength(2);
      expect((await cli('ecs', 'ListTaskDefinitionFamilies')).families).toContain('cli-td');
      await cli('ecs', 'CreateService', {
        cluster: 'cli',
        serviceName: 'cli-svc',
        taskDefinition: 'cli-td:1',
        desiredCount: 1,
        placementConstraints: [{ type: 'memberOf', expression: 'attribute:slot == one' }],
        deploymentConfiguration: { minimumHealthyPercent: 0, maximumPercent: 100 },
      });
      await clock.advance(5_000);
      const svc = (await cli('ecs', 'DescribeServices', { cluster: 'cli', services: ['cli-svc'] }))
        .services[0];
      expect(svc).toMatchObject({ runningCount: 1, status: 'ACTIVE' });
      await cli('ecs', 'UpdateService', { cluster: 'cli', service: 'cli-svc', taskDefinition: 'cli-td:2' });
      await clock.advance(10_000);
      const after = (await cli('ecs', 'DescribeServices', { cluster: 'cli', services: ['cli-svc'] }))
        .services[0];
      expect(after.deployments).toHaveLength(1);
      expect(after.deployments[0].taskDefinition).toMatch(/cli-td:2$/);
      expect((await cli('ecs', 'ListServices', { cluster: 'cli' })).serviceArns).toHaveLength(1);
      const taskArns = (await cli('ecs', 'ListTasks', { cluster: 'cli', serviceName: 'cli-svc' }))
        .taskArns as string[];
      const tasks = (await cli('ecs', 'DescribeTasks', { cluster: 'cli', tasks: taskArns })).tasks;
      expect(tasks[0].containerInstanceArn).toBe(ciArns[0]);
      await cli('ecs', 'UpdateContainerInstancesState', {
        cluster: 'cli',
        containerInstances: ciArns.slice(1),
        status: 'DRAINING',
      });
      const run = await cli('ecs', 'RunTask', { cluster: 'cli', taskDefinition: 'cli-td', count: 1 });
      expect(run.tasks[0].containerInstanceArn).toBe(ciArns[0]);
      const stopped = await cli('ecs', 'StopTask', {
        cluster: 'cli',
        task: run.tasks[0].taskArn,
        reason: 'cli',
      });
      expect(stopped.task.desiredStatus).toBe('STOPPED');
      await cli('ecs', 'TagResource', { resourceArn: svc.serviceArn, tags: [{ key: 'a', value: 'b' }] });
      expect((await cli('ecs', 'ListTagsForResource', { resourceArn: svc.serviceArn })).tags).toEqual([
        { key: 'a', value: 'b' },
      ]);
      await cli('ecs', 'UntagResource', { resourceArn: svc.serviceArn, tagKeys: ['a'] });
      await cli('ecs', 'DeleteAttributes', {
        cluster: 'cli',
        attributes: [{ name: 'slot', targetId: ciArns[0] }],
      });
      await cli('ecs', 'UpdateService', { cluster: 'cli', service: 'cli-svc', desiredCount: 0 });
      expect((await cli('ecs', 'DeleteService', { cluster: 'cli', service: 'cli-svc' })).service.status).toBe(
        'DRAINING',
      );
      await cli('ecs', 'DeregisterTaskDefinition', { taskDefinition: 'cli-td:1' });
      const deleted = await cliIfKnown('ecs', 'DeleteTaskDefinitions', { taskDefinitions: ['cli-td:1'] });
      if (deleted) expect(deleted.taskDefinitions).toHaveLength(1);
      await cli('ecs', 'DeregisterContainerInstance', {
        cluster: 'cli',
        containerInstance: ciArns[1],
        force: true,
      });
      await cliFails(
        'ecs',
        'DescribeServices',
        { cluster: 'nope', services: ['x'] },
        'ClusterNotFoundException',
      );
      await cliFails(
        'ecs',
        'UpdateService',
        { cluster: 'cli', service: 'cli-svc', desiredCount: 1 },
        'ServiceNotActiveException',
      );
      await cliFails(
        'ecs',
        'DeleteCluster',
        { cluster: 'cli' },
        'ClusterContainsContainerInstancesException',
      );
      await clock.advance(10_000);
      await cli('ecs', 'CreateCluster', { clusterName: 'cli-tmp' });
      await cli('ecs', 'DeleteCluster', { cluster: 'cli-tmp' });
    },
    T,
  );
});
