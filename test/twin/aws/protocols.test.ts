/**
 * The protocol layer with small fake service modules: routing, decoding of awsJson / awsQuery /
 * ec2Query requests as the real SDK sends them, encoding the SDK parses, every protocol's error format,
 * and that no request hangs or crashes the server.
 */
import { connect } from 'node:net';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeClustersCommand, ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { VirtualClock } from '../../../twin/core/clock.js';
import { Rng } from '../../../twin/core/rng.js';
import { CallLog } from '../../../twin/aws/call-log.js';
import { AwsError, type ServiceModule, type Wire } from '../../../twin/aws/contract.js';
import { FaultControl } from '../../../twin/aws/faults.js';
import { decodeForm } from '../../../twin/aws/protocols/form.js';
import { startTwinServer, type TwinServer } from '../../../twin/aws/server.js';
import { sdkConfig } from '../../helpers/twin.js';

const seen: Record<string, Wire> = {};
const internalErrors: unknown[] = [];

function fake(service: ServiceModule['service'], operations: ServiceModule['operations']): ServiceModule {
  return { service, operations, snapshot: () => ({}) };
}

const modules: ServiceModule[] = [
  fake('ecs', {
    ListClusters: (input) => {
      seen['ListClusters'] = input;
      return { clusterArns: ['arn:aws:ecs:us-east-1:000000000000:cluster/a'], nextToken: 'n1' };
    },
    DescribeClusters: () => {
      throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
    },
    CreateCluster: () => {
      throw new Error('boom');
    },
    DeleteCluster: () => new Promise<Wire>(() => undefined),
  }),
  fake('autoscaling', {
    DescribeAutoScalingGroups: (input) => {
      seen['DescribeAutoScalingGroups'] = input;
      if ((input['AutoScalingGroupNames'] as string[] | undefined)?.includes('invalid'))
        throw new AwsError('ValidationError', 'Group name invalid');
      return {
        AutoScalingGroups: [
          {
            AutoScalingGroupName: 'asg-1',
            MinSize: 1,
            MaxSize: 3,
            DesiredCapacity: 2,
            DefaultCooldown: 300,
            AvailabilityZones: ['us-east-1a', 'us-east-1b'],
            HealthCheckType: 'EC2',
            CreatedTime: new Date(Date.UTC(2026, 0, 1)),
            Instances: [
              {
                InstanceId: 'i-1',
                AvailabilityZone: 'us-east-1a',
                LifecycleState: 'InService',
                HealthStatus: 'Healthy',
                ProtectedFromScaleIn: false,
              },
            ],
            Tags: [{ Key: 'k', Value: 'v & <w>' }],
          },
        ],
        NextToken: 'next',
      };
    },
  }),
  fake('ec2', {
    DescribeVolumes: (input) => {
      seen['DescribeVolumes'] = input;
      if ((input['VolumeId'] as string[] | undefined)?.includes('vol-missing'))
        throw new AwsError('InvalidVolume.NotFound', "The volume 'vol-missing' does not exist.");
      return {
        volumeSet: [
          {
            volumeId: 'vol-1',
            size: 8,
            availabilityZone: 'us-east-1a',
            status: 'in-use',
            createTime: new Date(Date.UTC(2026, 0, 2)),
            volumeType: 'gp3',
            attachmentSet: [
              { volumeId: 'vol-1', instanceId: 'i-1', device: '/dev/xvdf', status: 'attached' },
            ],
            tagSet: [{ key: 'member', value: 'm0' }],
          },
        ],
      };
    },
  }),
];

let server: TwinServer;
let ecs: ECSClient;
let asg: AutoScalingClient;
let ec2: EC2Client;
const calls = new CallLog();

beforeAll(async () => {
  const clock = new VirtualClock({ mode: 'manual' });
  let n = 0;
  server = await startTwinServer({
    host: '127.0.0.1',
    port: 0,
    clock,
    region: 'us-east-1',
    accountId: '000000000000',
    modules,
    calls,
    faults: new FaultControl(new Rng(1)),
    requestId: () => `req-${++n}`,
    handlerTimeoutMs: 300,
    maxBodyBytes: 64 * 1024,
    onInternalError: (e) => internalErrors.push(e),
  });
  const cfg = { ...sdkConfig({ endpoint: server.endpoint, region: 'us-east-1' }, { maxAttempts: 1 }) };
  ecs = new ECSClient(cfg);
  asg = new AutoScalingClient(cfg);
  ec2 = new EC2Client(cfg);
});
afterAll(async () => {
  ecs.destroy();
  asg.destroy();
  ec2.destroy();
  await server.close();
});

const post = (headers: Record<string, string>, body: string | Buffer) =>
  fetch(`${server.endpoint}/`, { method: 'POST', headers, body });
const form = (params: Record<string, string>, extra: Record<string, string> = {}) =>
  post(
    { 'content-type': 'application/x-www-form-urlencoded', ...extra },
    new URLSearchParams(params).toString(),
  );
const scope = (service: string) => ({
  authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=00`,
});

describe('awsJson (ECS)', () => {
  it('routes by X-Amz-Target, decodes the JSON body and encodes the result the SDK parses', async () => {
    const r = await ecs.send(new ListClustersCommand({ maxResults: 5 }));
    expect(r.clusterArns).toEqual(['arn:aws:ecs:us-east-1:000000000000:cluster/a']);
    expect(r.nextToken).toBe('n1');
    expect(seen['ListClusters']).toEqual({ maxResults: 5 });
    const [rec] = calls.list({ service: 'ecs', operation: 'ListClusters' });
    expect(rec).toMatchObject({ status: 200, attempt: 1, maxAttempts: 1 });
    expect(rec!.invocationId).toMatch(/[0-9a-f-]{36}/);
  });

  it('encodes errors as __type + message that the SDK maps to the modelled exception', async () => {
    await expect(ecs.send(new DescribeClustersCommand({ clusters: ['x'] }))).rejects.toMatchObject({
      name: 'ClusterNotFoundException',
      message: 'Cluster not found.',
      $metadata: { httpStatusCode: 400 },
    });
    expect(calls.list({ operation: 'DescribeClusters' })[0]?.error).toBe('ClusterNotFoundException');
  });

  it('answers malformed JSON, non-object bodies and unknown targets in the awsJson format', async () => {
    const h = { 'content-type': 'application/x-amz-json-1.1' };
    const bad = await post(
      { ...h, 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListClusters' },
      '{"maxResults":',
    );
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ __type: 'SerializationException' });
    const arr = await post(
      { ...h, 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListClusters' },
      '[1,2]',
    );
    expect(await arr.json()).toMatchObject({ __type: 'SerializationException' });
    const unknownOp = await post(
      { ...h, 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.LaunchRockets' },
      '{}',
    );
    expect(unknownOp.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    const unknownService = await post({ ...h, 'x-amz-target': 'DynamoDB_20120810.ListTables' }, '{}');
    expect(unknownService.status).toBe(400);
    expect(await unknownService.json()).toMatchObject({ __type: 'UnknownOperationException' });
    expect(calls.count({ service: 'unknown' })).toBeGreaterThan(0);
  });
});

describe('awsQuery (Auto Scaling)', () => {
  it('decodes member lists and encodes <member> XML with ISO timestamps and escaped text', async () => {
    const r = await asg.send(
      new DescribeAutoScalingGroupsCommand({
        AutoScalingGroupNames: ['a', 'b'],
        Filters: [{ Name: 'tag:team', Values: ['db', 'ops'] }],
        MaxRecords: 10,
      }),
    );
    expect(seen['DescribeAutoScalingGroups']).toEqual({
      AutoScalingGroupNames: ['a', 'b'],
      Filters: [{ Name: 'tag:team', Values: ['db', 'ops'] }],
      MaxRecords: '10',
    });
    const g = r.AutoScalingGroups![0]!;
    expect(g.AutoScalingGroupName).toBe('asg-1');
    expect(g.DesiredCapacity).toBe(2);
    expect(g.AvailabilityZones).toEqual(['us-east-1a', 'us-east-1b']);
    expect(g.CreatedTime).toEqual(new Date(Date.UTC(2026, 0, 1)));
    expect(g.Instances![0]).toMatchObject({ InstanceId: 'i-1', ProtectedFromScaleIn: false });
    expect(g.Tags![0]!.Value).toBe('v & <w>');
    expect(r.NextToken).toBe('next');
  });

  it('encodes errors as ErrorResponse XML with the wire code', async () => {
    await expect(
      asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['invalid'] })),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      Code: 'ValidationError',
      $metadata: { httpStatusCode: 400 },
    });
    const unknown = await form({ Action: 'LaunchRockets', Version: '2011-01-01' });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toMatch(
      /<ErrorResponse xmlns="http:\/\/autoscaling\.amazonaws\.com\/doc\/2011-01-01\/"><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code>/,
    );
    const noAction = await form({ Version: '2011-01-01' });
    expect(await noAction.text()).toContain('<Code>MissingAction</Code>');
    const conflicting = await form({
      Action: 'DescribeAutoScalingGroups',
      Version: '2011-01-01',
      'A.member.1': 'x',
      'A.member.1.B': 'y',
    });
    expect(await conflicting.text()).toContain('<Code>MalformedQueryString</Code>');
  });

  it('routes form posts by the SigV4 signing name when Version is absent', async () => {
    const r = await form({ Action: 'DescribeVolumes' }, scope('ec2'));
    expect(r.status).toBe(200);
    expect(await r.text()).toContain(
      '<DescribeVolumesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">',
    );
    const unroutable = await form({ Action: 'DescribeVolumes' });
    expect(unroutable.status).toBe(400);
    expect(await unroutable.text()).toContain('<Code>InvalidAction</Code>');
  });
});

describe('ec2Query (EC2)', () => {
  it('decodes flattened lists and encodes <item> XML that the SDK parses', async () => {
    const r = await ec2.send(
      new DescribeVolumesCommand({
        VolumeIds: ['vol-1'],
        Filters: [
          { Name: 'availability-zone', Values: ['us-east-1a'] },
          { Name: 'tag:member', Values: ['m0', 'm1'] },
        ],
      }),
    );
    expect(seen['DescribeVolumes']).toEqual({
      VolumeId: ['vol-1'],
      Filter: [
        { Name: 'availability-zone', Value: ['us-east-1a'] },
        { Name: 'tag:member', Value: ['m0', 'm1'] },
      ],
    });
    const v = r.Volumes![0]!;
    expect(v).toMatchObject({
      VolumeId: 'vol-1',
      Size: 8,
      AvailabilityZone: 'us-east-1a',
      State: 'in-use',
      VolumeType: 'gp3',
    });
    expect(v.CreateTime).toEqual(new Date(Date.UTC(2026, 0, 2)));
    expect(v.Attachments![0]).toMatchObject({ InstanceId: 'i-1', Device: '/dev/xvdf', State: 'attached' });
    expect(v.Tags).toEqual([{ Key: 'member', Value: 'm0' }]);
  });

  it('encodes errors as Response/Errors/Error with dotted codes', async () => {
    await expect(ec2.send(new DescribeVolumesCommand({ VolumeIds: ['vol-missing'] }))).rejects.toMatchObject({
      name: 'InvalidVolume.NotFound',
      $metadata: { httpStatusCode: 400 },
    });
    const unknown = await form({ Action: 'LaunchRockets', Version: '2016-11-15' });
    const text = await unknown.text();
    expect(text).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?><Response><Errors><Error><Code>InvalidAction<\/Code>/,
    );
    expect(text).toContain('<RequestID>');
  });
});

describe('robustness', () => {
  it('turns a handler crash into the protocol 500 error and keeps serving', async () => {
    const res = await post(
      {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonEC2ContainerServiceV20141113.CreateCluster',
      },
      '{}',
    );
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ __type: 'ServerException' });
    expect(internalErrors.some((e) => e instanceof Error && e.message === 'boom')).toBe(true);
    expect((await ecs.send(new ListClustersCommand({}))).clusterArns).toHaveLength(1);
  });

  it('fails a handler that never answers after the handler timeout instead of hanging', async () => {
    const res = await post(
      {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonEC2ContainerServiceV20141113.DeleteCluster',
      },
      '{}',
    );
    expect(res.status).toBe(500);
    expect(((await res.json()) as { message: string }).message).toContain('timed out');
  });

  it('rejects bodies over the size limit with 413 (S3: EntityTooLarge)', async () => {
    const big = Buffer.alloc(100 * 1024, 'a');
    const json = await post(
      {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListClusters',
      },
      big,
    );
    expect(json.status).toBe(413);
    expect(await json.json()).toMatchObject({ __type: 'RequestEntityTooLarge' });
    const s3 = await fetch(`${server.endpoint}/bucket/key`, { method: 'PUT', body: big });
    expect(s3.status).toBe(400);
    expect(await s3.text()).toContain('<Code>EntityTooLarge</Code>');
  });

  it('answers garbage on the socket with 400 and never hangs', async () => {
    const { port } = new URL(server.endpoint);
    const reply = await new Promise<string>((resolve, reject) => {
      const sock = connect(Number(port), '127.0.0.1', () => sock.write('THIS IS NOT HTTP\r\n\r\n'));
      let data = '';
      sock.on('data', (d) => (data += d.toString()));
      sock.on('end', () => resolve(data));
      sock.on('error', reject);
      sock.setTimeout(5000, () => {
        sock.destroy();
        reject(new Error('socket hung'));
      });
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
  });

  it('answers unknown control paths when no control API is mounted', async () => {
    const r = await fetch(`${server.endpoint}/_twin/health`);
    expect(r.status).toBe(404);
  });
});

describe('form decoding', () => {
  it('orders list indexes numerically, keeps empty lists, and turns entry lists into maps', () => {
    const params: [string, string][] = [
      ['Names.member.10', 'j'],
      ['Names.member.2', 'b'],
      ['Names.member.1', 'a'],
      ['Empty', ''],
      ['Attrs.entry.1.key', 'k1'],
      ['Attrs.entry.1.value', 'v1'],
      ['Filter.1.Value.2', 'y'],
      ['Filter.1.Value.1', 'x'],
      ['Filter.1.Name', 'n'],
    ];
    expect(decodeForm(params)).toEqual({
      Names: ['a', 'b', 'j'],
      Empty: '',
      Attrs: { k1: 'v1' },
      Filter: [{ Name: 'n', Value: ['x', 'y'] }],
    });
    expect(() => decodeForm([['__proto__.polluted', 'x']])).toThrow();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
