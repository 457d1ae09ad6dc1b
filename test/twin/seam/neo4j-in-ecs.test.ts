/**
 * The seam between the AWS twin and the simulated Neo4j members: a Neo4j task started by the ECS
 * simulation on an ASG instance runs a member on the task's own address, reachable with the real
 * neo4j-driver; its store lives on the EBS volume attached to the instance, so a replacement task on
 * the same volume finds the data, as the world log shows.
 */
import { CreateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import {
  AttachVolumeCommand,
  CreateLaunchTemplateCommand,
  CreateVolumeCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  DescribeTasksCommand,
  ListContainerInstancesCommand,
  DescribeContainerInstancesCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import neo4j from 'neo4j-driver';
import type { Twin } from '../../../twin/index.js';
import { startTwin } from '../../../twin/index.js';
import { destroyClients, twinClients } from '../../helpers/twin.js';
import type { TwinClients } from '../../helpers/twin.js';

let twin: Twin;
let c: TwinClients;
const member = 'seam-primary-1';
/** The default subnet of us-east-1a: the awsvpc task's ENI goes there. */
let subnetId = '';

async function eventually<T>(fn: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function runMemberTask(containerInstanceArn: string): Promise<{ arn: string; address: string }> {
  const run = await c.ecs.send(
    new RunTaskCommand({
      cluster: 'seam',
      taskDefinition: member,
      placementConstraints: [{ type: 'memberOf', expression: `ec2InstanceId exists` }],
      startedBy: 'seam-test',
      networkConfiguration: { awsvpcConfiguration: { subnets: [subnetId] } },
    }),
  );
  const arn = run.tasks?.[0]?.taskArn;
  if (!arn) throw new Error(`RunTask placed nothing: ${JSON.stringify(run.failures)}`);
  const task = await eventually(async () => {
    const d = await c.ecs.send(new DescribeTasksCommand({ cluster: 'seam', tasks: [arn] }));
    const t = d.tasks?.[0];
    return t?.lastStatus === 'RUNNING' && t.healthStatus === 'HEALTHY' ? t : undefined;
  });
  expect(task.containerInstanceArn).toBe(containerInstanceArn);
  const address = task.containers?.[0]?.networkInterfaces?.[0]?.privateIpv4Address;
  if (!address) throw new Error('task has no address');
  // The ENI is in the given subnet, with the VPC's default security group (none was given).
  const eni = task.attachments?.[0]?.details ?? [];
  const detail = (n: string) => eni.find((d) => d.name === n)?.value;
  expect(detail('subnetId')).toBe(subnetId);
  expect(detail('privateIPv4Address')).toBe(address);
  const sgs = await c.ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }),
  );
  expect(detail('securityGroups')).toBe(sgs.SecurityGroups?.[0]?.GroupId);
  return { arn, address };
}

beforeAll(async () => {
  twin = await startTwin({ port: 0, seed: 7, timeScale: 200, neo4j: { electionTimeoutMs: 2000 } });
  c = twinClients(twin, { maxAttempts: 1 });
  await c.ecs.send(new CreateClusterCommand({ clusterName: 'seam' }));
  const subnets = await c.ec2.send(
    new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: ['us-east-1a'] }] }),
  );
  subnetId = subnets.Subnets?.[0]?.SubnetId ?? '';
  await c.ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: 'seam-lt',
      LaunchTemplateData: {
        ImageId: 'ami-ecs',
        InstanceType: 'r6i.large',
        UserData: Buffer.from('#!/bin/bash\necho ECS_CLUSTER=seam >> /etc/ecs/ecs.config\n').toString(
          'base64',
        ),
      },
    }),
  );
  await c.autoscaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: 'seam-a',
      LaunchTemplate: { LaunchTemplateName: 'seam-lt', Version: '$Latest' },
      MinSize: 1,
      MaxSize: 1,
      DesiredCapacity: 1,
      AvailabilityZones: ['us-east-1a'],
    }),
  );
}, 60_000);

afterAll(async () => {
  destroyClients(c);
  await twin.stop();
});

it('runs a Neo4j member in an ECS task, on its volume, reachable over Bolt, and keeps its data across tasks', async () => {
  // Prepare: the instance registers with ECS; a volume in its AZ is attached, as the operator will do.
  const ciArn = await eventually(async () => {
    const l = await c.ecs.send(new ListContainerInstancesCommand({ cluster: 'seam' }));
    return l.containerInstanceArns?.[0];
  });
  const ci = (
    await c.ecs.send(new DescribeContainerInstancesCommand({ cluster: 'seam', containerInstances: [ciArn] }))
  ).containerInstances?.[0];
  const instanceId = ci?.ec2InstanceId as string;
  const vol = await c.ec2.send(
    new CreateVolumeCommand({
      AvailabilityZone: 'us-east-1a',
      Size: 10,
      VolumeType: 'gp3',
      TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'neo4j-ecs:member', Value: member }] }],
    }),
  );
  const volumeId = vol.VolumeId as string;
  await eventually(async () => {
    const d = await c.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
    return d.Volumes?.[0]?.State === 'available';
  });
  await c.ec2.send(
    new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: '/dev/xvdf' }),
  );
  await eventually(async () => {
    const d = await c.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
    return d.Volumes?.[0]?.Attachments?.[0]?.State === 'attached';
  });
  await c.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: member,
      networkMode: 'awsvpc',
      cpu: '1024',
      memory: '2048',
      volumes: [{ name: 'data', host: { sourcePath: `/var/lib/neo4j-ecs/${member}` } }],
      containerDefinitions: [
        {
          name: 'neo4j',
          image: 'neo4j:5.26.12-enterprise',
          essential: true,
          portMappings: [{ containerPort: 7687 }],
          mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }],
          environment: [
            { name: 'NEO4J_ACCEPT_LICENSE_AGREEMENT', value: 'yes' },
            { name: 'NEO4J_AUTH', value: 'neo4j/seam-password' },
            { name: 'NEO4J_ECS_VOLUME_ID', value: volumeId },
            { name: 'NEO4J_dbms_cluster_minimum__initial__system__primaries__count', value: '1' },
          ],
          healthCheck: {
            command: ['CMD-SHELL', 'true'],
            interval: 5,
            timeout: 2,
            retries: 3,
            startPeriod: 10,
          },
        },
      ],
    }),
  );

  // Act 1: the first task writes through Bolt.
  const first = await runMemberTask(ciArn);
  const auth = neo4j.auth.basic('neo4j', 'seam-password');
  let driver = neo4j.driver(`bolt://${first.address}:7687`, auth);
  await driver.executeQuery('CREATE (n:Seam {id: $id})', { id: 42 });
  await driver.close();

  // Act 2: replace the task (same volume, same instance).
  await c.ecs.send(new StopTaskCommand({ cluster: 'seam', task: first.arn, reason: 'seam test' }));
  const second = await runMemberTask(ciArn);
  expect(second.address).not.toBe(first.address);
  driver = neo4j.driver(`bolt://${second.address}:7687`, auth);
  const res = await driver.executeQuery('MATCH (n:Seam) RETURN count(n) AS n');
  await driver.close();

  // Assert: the data survived on the volume, and the world log shows both tasks on that volume.
  expect(neo4j.integer.toNumber(res.records[0]?.get('n') as number)).toBe(1);
  const started = twin.world
    .list('ecs.task.started')
    .filter((e) => e['taskArn'] === first.arn || e['taskArn'] === second.arn);
  expect(started).toHaveLength(2);
  for (const e of started) expect(JSON.stringify(e)).toContain(volumeId);
}, 90_000);
