/**
 * bootstrapInfrastructure against the twin, through the real SDK: every resource the deploy template
 * would create exists afterwards (the Cloud Map namespace and service and the members' security group
 * included, found as the operator looks them up), a second run changes nothing, and raising an ASG's desired capacity
 * brings instances that register as ECS container instances of the spec's cluster in the ASG's AZ.
 */
import { readFileSync } from 'node:fs';
import {
  DescribeAutoScalingGroupsCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeLaunchTemplateVersionsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  ListContainerInstancesCommand,
} from '@aws-sdk/client-ecs';
import { GetBucketVersioningCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import {
  GetNamespaceCommand,
  GetServiceCommand,
  ListServicesCommand,
} from '@aws-sdk/client-servicediscovery';
import { findNamespaceId, findSecurityGroups } from '../../src/aws/network.js';
import type { Twin } from '../../twin/index.js';
import { startTwin } from '../../twin/index.js';
import type { BootstrapResult } from '../../src/demo/bootstrap.js';
import { BootstrapError, bootstrapInfrastructure, instanceTypeFor } from '../../src/demo/bootstrap.js';
import type { Neo4jCluster } from '../../src/model/cluster.js';
import { parseClusterText } from '../../src/model/document.js';
import { REPO } from '../helpers/cli.js';
import type { TwinClients } from '../helpers/twin.js';
import { destroyClients, twinClients } from '../helpers/twin.js';

let twin: Twin;
let c: TwinClients;
let cluster: Neo4jCluster;
let first: BootstrapResult;
const PASSWORD = 'bootstrap-test-secret-pw';

function example(name: string): Neo4jCluster {
  const [doc] = parseClusterText(readFileSync(`${REPO}/examples/${name}`, 'utf8'), name);
  if (!doc?.cluster) throw new Error(`${name} is invalid`);
  return doc.cluster;
}

async function eventually<T>(fn: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  twin = await startTwin({ port: 0, seed: 3, timeScale: 200 });
  c = twinClients(twin, { maxAttempts: 1 });
  cluster = example('larger.yaml');
  first = await bootstrapInfrastructure(c, cluster, { bucket: 'demo-specs', password: PASSWORD });
}, 60_000);

afterAll(async () => {
  destroyClients(c);
  await twin.stop();
});

it('creates the ECS cluster, launch templates that join it, empty ASGs per AZ, the bucket, log group and secret', async () => {
  expect(first.ecsCluster).toBe('neo4j-larger');
  const ecs = await c.ecs.send(new DescribeClustersCommand({ clusters: ['neo4j-larger'] }));
  expect(ecs.clusters?.[0]?.status).toBe('ACTIVE');

  const names = [
    'neo4j-larger-primary-a',
    'neo4j-larger-primary-b',
    'neo4j-larger-primary-c',
    'neo4j-larger-secondaries',
  ];
  const asgs = await c.autoscaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names }),
  );
  expect(asgs.AutoScalingGroups?.map((g) => g.AutoScalingGroupName).sort()).toEqual(names);
  const subnets = await c.ec2.send(new DescribeSubnetsCommand({}));
  const zoneOf = new Map((subnets.Subnets ?? []).map((s) => [s.SubnetId, s.AvailabilityZone]));
  for (const g of asgs.AutoScalingGroups ?? []) {
    expect(g.DesiredCapacity).toBe(0);
    const zones = new Set((g.VPCZoneIdentifier ?? '').split(',').map((id) => zoneOf.get(id)));
    if (g.AutoScalingGroupName === 'neo4j-larger-secondaries')
      expect([...zones].sort()).toEqual(['us-east-1a', 'us-east-1b']);
    else expect([...zones]).toEqual([`us-east-1${(g.AutoScalingGroupName ?? '').slice(-1)}`]);
    const lt = g.LaunchTemplate?.LaunchTemplateName as string;
    expect(lt).toBe(first.launchTemplates[g.AutoScalingGroupName as string]);
    const v = await c.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: lt }));
    const data = v.LaunchTemplateVersions?.[0]?.LaunchTemplateData;
    const userData = Buffer.from(data?.UserData ?? '', 'base64').toString();
    expect(userData).toMatch(/echo ECS_CLUSTER=neo4j-larger\n.*\} >> \/etc\/ecs\/ecs.config/s);
    // Only the secondaries' agent drains on a spot notice; a primary's drain is the operator's.
    if (g.AutoScalingGroupName === 'neo4j-larger-secondaries')
      expect(userData).toContain('echo ECS_ENABLE_SPOT_INSTANCE_DRAINING=true\n');
    else expect(userData).not.toContain('ECS_ENABLE_SPOT_INSTANCE_DRAINING');
    expect(data?.InstanceType).toBe('r6i.xlarge');
  }

  const versioning = await c.s3.send(new GetBucketVersioningCommand({ Bucket: 'demo-specs' }));
  expect(versioning.Status).toBe('Enabled');
  const groups = await c.logs.send(
    new DescribeLogGroupsCommand({ logGroupNamePrefix: '/neo4j-ecs/controller' }),
  );
  expect(groups.logGroups?.map((g) => g.logGroupName)).toEqual(['/neo4j-ecs/controller']);
  const secret = await c.secrets.send(new GetSecretValueCommand({ SecretId: first.secretArn }));
  expect(secret.SecretString).toBe(`neo4j/${PASSWORD}`);
  expect(first.secretArn).toMatch(
    /^arn:aws:secretsmanager:us-east-1:000000000000:secret:graph-larger-neo4j-auth-\w{6}$/,
  );
  expect(JSON.stringify(first)).not.toContain(PASSWORD);
  expect(first.created).toEqual(
    expect.arrayContaining([
      's3-bucket:demo-specs',
      'secret:graph-larger-neo4j-auth',
      'auto-scaling-group:neo4j-larger-secondaries',
    ]),
  );
});

it('creates what the operator finds by convention: the Cloud Map namespace and service, and the members’ tagged security group', async () => {
  const vpc = (await c.ec2.send(new DescribeSubnetsCommand({}))).Subnets?.[0]?.VpcId;
  const ns = await c.servicediscovery.send(new GetNamespaceCommand({ Id: first.namespaceId }));
  expect(ns.Namespace).toMatchObject({ Name: 'neo4j.internal', Type: 'DNS_PRIVATE' });
  expect(ns.Namespace?.Properties?.DnsProperties?.HostedZoneId).toBeDefined();
  const svcs = await c.servicediscovery.send(
    new ListServicesCommand({ Filters: [{ Name: 'NAMESPACE_ID', Values: [first.namespaceId] }] }),
  );
  expect(svcs.Services?.map((x) => [x.Name, x.Arn])).toEqual([['graph-larger', first.discoveryServiceArn]]);
  const svc = await c.servicediscovery.send(
    new GetServiceCommand({ Id: first.discoveryServiceArn.split('/').pop() }),
  );
  expect(svc.Service?.DnsConfig).toMatchObject({
    RoutingPolicy: 'MULTIVALUE',
    DnsRecords: [{ Type: 'A', TTL: 10 }],
  });
  expect(svc.Service?.HealthCheckCustomConfig).toBeDefined();
  // The operator's look-ups (src/aws/network.ts) find exactly these.
  expect(await findNamespaceId(c.servicediscovery, 'neo4j.internal')).toBe(first.namespaceId);
  expect(await findSecurityGroups(c.ec2, 'graph-larger')).toEqual([first.securityGroupId]);
  const sg = (await c.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [first.securityGroupId] })))
    .SecurityGroups?.[0];
  expect(sg?.VpcId).toBe(vpc);
  expect(sg?.Tags).toEqual(
    expect.arrayContaining([
      { Key: 'neo4j-ecs:cluster', Value: 'graph-larger' },
      { Key: 'managed-by', Value: 'neo4j-ecs-operator' },
    ]),
  );
  const ports = (sg?.IpPermissions ?? [])
    .filter((p) => p.UserIdGroupPairs?.some((g) => g.GroupId === first.securityGroupId))
    .map((p) => p.FromPort)
    .sort();
  expect(ports).toEqual([6000, 7000, 7474, 7687, 7688]);
  expect(first.created).toEqual(
    expect.arrayContaining([
      'cloud-map-namespace:neo4j.internal',
      'cloud-map-service:graph-larger',
      'security-group:graph-larger-members',
    ]),
  );
});

it('is idempotent: a second run creates nothing and returns the same secret, namespace, service and group', async () => {
  const again = await bootstrapInfrastructure(c, cluster, { bucket: 'demo-specs', password: PASSWORD });
  expect(again.created).toEqual([]);
  expect(again.secretArn).toBe(first.secretArn);
  expect([again.namespaceId, again.discoveryServiceArn, again.securityGroupId]).toEqual([
    first.namespaceId,
    first.discoveryServiceArn,
    first.securityGroupId,
  ]);
});

it('ASG instances register as ECS container instances of the cluster, in the ASG AZ, once desired capacity is raised', async () => {
  await c.autoscaling.send(
    new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'neo4j-larger-primary-b', DesiredCapacity: 1 }),
  );
  const arn = await eventually(async () => {
    const l = await c.ecs.send(new ListContainerInstancesCommand({ cluster: 'neo4j-larger' }));
    return l.containerInstanceArns?.[0];
  });
  const d = await c.ecs.send(
    new DescribeContainerInstancesCommand({ cluster: 'neo4j-larger', containerInstances: [arn] }),
  );
  const ci = d.containerInstances?.[0];
  expect(ci?.status).toBe('ACTIVE');
  expect(ci?.attributes?.find((a) => a.name === 'ecs.availability-zone')?.value).toBe('us-east-1b');
  expect(ci?.attributes?.find((a) => a.name === 'ecs.instance-type')?.value).toBe('r6i.xlarge');
}, 60_000);

it('picks an instance type that fits the task, and refuses an empty password clearly', async () => {
  expect(instanceTypeFor(example('minimal.yaml'))).toBe('r6i.large');
  await expect(bootstrapInfrastructure(c, cluster, { bucket: 'demo-specs', password: '' })).rejects.toThrow(
    BootstrapError,
  );
});
