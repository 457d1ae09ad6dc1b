/**
 * EC2 security groups in the twin, through the real SDK and the AWS CLI: the default VPC's `default`
 * group, create / describe (ids, names, filters including tags) / authorize ingress / tag / delete,
 * and the real error codes.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { awsCli, awsCliRaw, sdkConfig, startTestTwin } from '../../../helpers/twin.js';
import type { AwsTwin } from '../../../helpers/twin.js';

let twin: AwsTwin;
let ec2: EC2Client;
let vpcId: string;

beforeAll(async () => {
  twin = await startTestTwin();
  const { forcePathStyle: _f, ...common } = sdkConfig(twin, { maxAttempts: 1 });
  ec2 = new EC2Client(common);
  vpcId = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs?.[0]?.VpcId ?? '';
});
afterAll(async () => {
  ec2.destroy();
  await twin.stop();
});

async function errorName(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).name;
  }
  throw new Error('expected the call to fail');
}

it('has a default group per VPC, creates, describes, authorizes, tags and deletes groups', async () => {
  const def = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'group-name', Values: ['default'] },
      ],
    }),
  );
  expect(def.SecurityGroups).toHaveLength(1);
  const defaultId = def.SecurityGroups?.[0]?.GroupId ?? '';
  expect(defaultId).toMatch(/^sg-[0-9a-f]{17}$/);
  expect(await errorName(ec2.send(new DeleteSecurityGroupCommand({ GroupId: defaultId })))).toBe(
    'CannotDelete',
  );

  const created = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: 'neo4j-members',
      Description: 'Neo4j cluster members',
      VpcId: vpcId,
      TagSpecifications: [
        { ResourceType: 'security-group', Tags: [{ Key: 'neo4j-ecs:cluster', Value: 'graph' }] },
      ],
    }),
  );
  const sg = created.GroupId ?? '';
  expect(
    await errorName(
      ec2.send(
        new CreateSecurityGroupCommand({ GroupName: 'neo4j-members', Description: 'again', VpcId: vpcId }),
      ),
    ),
  ).toBe('InvalidGroup.Duplicate');
  expect(
    await errorName(
      ec2.send(
        new CreateSecurityGroupCommand({ GroupName: 'x', Description: 'x', VpcId: 'vpc-0000000000000000f' }),
      ),
    ),
  ).toBe('InvalidVpcID.NotFound');

  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: sg,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 6000, ToPort: 6000, UserIdGroupPairs: [{ GroupId: sg }] },
        { IpProtocol: 'tcp', FromPort: 7687, ToPort: 7687, IpRanges: [{ CidrIp: '10.0.0.0/16' }] },
      ],
    }),
  );
  expect(
    await errorName(
      ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: sg,
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 7687, ToPort: 7687, IpRanges: [{ CidrIp: '10.0.0.0/16' }] },
          ],
        }),
      ),
    ),
  ).toBe('InvalidPermission.Duplicate');
  await ec2.send(new CreateTagsCommand({ Resources: [sg], Tags: [{ Key: 'team', Value: 'db' }] }));

  const byTag = await ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:neo4j-ecs:cluster', Values: ['graph'] }] }),
  );
  expect(byTag.SecurityGroups?.map((g) => g.GroupId)).toEqual([sg]);
  const g = byTag.SecurityGroups?.[0];
  expect(g).toMatchObject({ GroupName: 'neo4j-members', Description: 'Neo4j cluster members', VpcId: vpcId });
  expect(g?.Tags?.sort((a, b) => (a.Key ?? '').localeCompare(b.Key ?? ''))).toEqual([
    { Key: 'neo4j-ecs:cluster', Value: 'graph' },
    { Key: 'team', Value: 'db' },
  ]);
  expect(g?.IpPermissions).toEqual([
    expect.objectContaining({
      IpProtocol: 'tcp',
      FromPort: 6000,
      ToPort: 6000,
      UserIdGroupPairs: [{ GroupId: sg }],
    }),
    expect.objectContaining({ IpProtocol: 'tcp', FromPort: 7687, IpRanges: [{ CidrIp: '10.0.0.0/16' }] }),
  ]);
  const byId = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [sg] }));
  expect(byId.SecurityGroups).toHaveLength(1);
  expect(
    await errorName(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0000000000000000f'] }))),
  ).toBe('InvalidGroup.NotFound');

  await ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg }));
  expect(await errorName(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [sg] })))).toBe(
    'InvalidGroup.NotFound',
  );
});

it('serves security groups to the AWS CLI', async () => {
  const created = (await awsCli(twin, [
    'ec2',
    'create-security-group',
    '--group-name',
    'cli-sg',
    '--description',
    'from the CLI',
    '--vpc-id',
    vpcId,
  ])) as { GroupId: string };
  await awsCli(twin, [
    'ec2',
    'authorize-security-group-ingress',
    '--group-id',
    created.GroupId,
    '--protocol',
    'tcp',
    '--port',
    '7687',
    '--cidr',
    '10.0.0.0/8',
  ]);
  await awsCli(twin, ['ec2', 'create-tags', '--resources', created.GroupId, '--tags', 'Key=owner,Value=cli']);
  const listed = (await awsCli(twin, [
    'ec2',
    'describe-security-groups',
    '--filters',
    'Name=tag:owner,Values=cli',
  ])) as {
    SecurityGroups: {
      GroupId: string;
      IpPermissions: { FromPort: number; IpRanges: { CidrIp: string }[] }[];
    }[];
  };
  expect(listed.SecurityGroups.map((g) => g.GroupId)).toEqual([created.GroupId]);
  expect(listed.SecurityGroups[0]?.IpPermissions[0]).toMatchObject({
    FromPort: 7687,
    IpRanges: [{ CidrIp: '10.0.0.0/8' }],
  });
  await awsCli(twin, ['ec2', 'delete-security-group', '--group-id', created.GroupId]);
  const gone = await awsCliRaw(twin, ['ec2', 'describe-security-groups', '--group-ids', created.GroupId]);
  expect(gone.errorCode).toBe('InvalidGroup.NotFound');
});
