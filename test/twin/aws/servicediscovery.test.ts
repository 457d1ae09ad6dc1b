/**
 * AWS Cloud Map in the twin, through the real SDK (@aws-sdk/client-servicediscovery) and Debian's AWS
 * CLI: private DNS namespaces as asynchronous operations in an existing VPC, services with DNS
 * records and custom health, instances, the data plane (DiscoverInstances), tags, pagination, the
 * real error codes, and the twin's DNS over the records.
 */
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreatePrivateDnsNamespaceCommand,
  CreateServiceCommand,
  DeleteNamespaceCommand,
  DeleteServiceCommand,
  DeregisterInstanceCommand,
  DiscoverInstancesCommand,
  GetInstanceCommand,
  GetInstancesHealthStatusCommand,
  GetNamespaceCommand,
  GetOperationCommand,
  GetServiceCommand,
  ListInstancesCommand,
  ListNamespacesCommand,
  ListOperationsCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  RegisterInstanceCommand,
  ServiceDiscoveryClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateInstanceCustomHealthStatusCommand,
} from '@aws-sdk/client-servicediscovery';
import { VirtualClock } from '../../../twin/core/clock.js';
import { awsCli, awsCliRaw, sdkConfig, startTestTwin } from '../../helpers/twin.js';
import type { AwsTwin } from '../../helpers/twin.js';

let twin: AwsTwin;
let clock: VirtualClock;
let sd: ServiceDiscoveryClient;
let ec2: EC2Client;
let vpcId: string;

beforeAll(async () => {
  clock = new VirtualClock({ mode: 'manual' });
  twin = await startTestTwin({ clock });
  const { forcePathStyle: _f, ...common } = sdkConfig(twin, { maxAttempts: 1 });
  // DiscoverInstances carries the host prefix `data-`: without disableHostPrefix the SDK would call
  // data-127.0.0.1 (docs/twin.md).
  sd = new ServiceDiscoveryClient({ ...common, disableHostPrefix: true });
  ec2 = new EC2Client(common);
  const vpcs = await ec2.send(new DescribeVpcsCommand({}));
  vpcId = vpcs.Vpcs?.[0]?.VpcId ?? '';
});

afterAll(async () => {
  sd.destroy();
  ec2.destroy();
  await twin.stop();
  clock.stop();
});

async function errorName(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).name;
  }
  throw new Error('expected the call to fail');
}

async function createNamespace(name: string): Promise<string> {
  const { OperationId } = await sd.send(new CreatePrivateDnsNamespaceCommand({ Name: name, Vpc: vpcId }));
  await clock.advance(10_000);
  const op = await sd.send(new GetOperationCommand({ OperationId }));
  expect(op.Operation?.Status).toBe('SUCCESS');
  return op.Operation?.Targets?.NAMESPACE ?? '';
}

describe('Cloud Map through the SDK', () => {
  it('creates a private DNS namespace as an operation that succeeds later, and lists it by name and type', async () => {
    const { OperationId } = await sd.send(
      new CreatePrivateDnsNamespaceCommand({ Name: 'graph.internal', Vpc: vpcId, CreatorRequestId: 'ns-1' }),
    );
    const pending = await sd.send(new GetOperationCommand({ OperationId }));
    expect(pending.Operation).toMatchObject({ Type: 'CREATE_NAMESPACE', Status: 'SUBMITTED' });
    const nsId = pending.Operation?.Targets?.NAMESPACE ?? '';
    expect(nsId).toMatch(/^ns-[a-z0-9]{16}$/);
    expect(await errorName(sd.send(new GetNamespaceCommand({ Id: nsId })))).toBe('NamespaceNotFound');
    expect(
      await errorName(
        sd.send(
          new CreatePrivateDnsNamespaceCommand({
            Name: 'graph.internal',
            Vpc: vpcId,
            CreatorRequestId: 'ns-1',
          }),
        ),
      ),
    ).toBe('DuplicateRequest');

    await clock.advance(10_000);
    const done = await sd.send(new GetOperationCommand({ OperationId }));
    expect(done.Operation?.Status).toBe('SUCCESS');
    const ns = await sd.send(new GetNamespaceCommand({ Id: nsId }));
    expect(ns.Namespace).toMatchObject({
      Id: nsId,
      Arn: `arn:aws:servicediscovery:us-east-1:000000000000:namespace/${nsId}`,
      Name: 'graph.internal',
      Type: 'DNS_PRIVATE',
      ServiceCount: 0,
    });
    const byName = await sd.send(
      new ListNamespacesCommand({ Filters: [{ Name: 'NAME', Values: ['graph.internal'], Condition: 'EQ' }] }),
    );
    expect(byName.Namespaces?.map((n) => n.Id)).toEqual([nsId]);
    const byType = await sd.send(
      new ListNamespacesCommand({ Filters: [{ Name: 'TYPE', Values: ['HTTP'] }] }),
    );
    expect(byType.Namespaces).toEqual([]);
    const ops = await sd.send(
      new ListOperationsCommand({ Filters: [{ Name: 'NAMESPACE_ID', Values: [nsId], Condition: 'EQ' }] }),
    );
    expect(ops.Operations).toEqual([{ Id: OperationId, Status: 'SUCCESS' }]);
  });

  it('refuses bad namespaces with the real codes', async () => {
    expect(
      await errorName(
        sd.send(new CreatePrivateDnsNamespaceCommand({ Name: 'x.internal', Vpc: 'vpc-0000000000000000f' })),
      ),
    ).toBe('InvalidInput');
    expect(await errorName(sd.send(new GetNamespaceCommand({ Id: 'ns-doesnotexist0000' })))).toBe(
      'NamespaceNotFound',
    );
    expect(await errorName(sd.send(new GetOperationCommand({ OperationId: 'nope' })))).toBe(
      'OperationNotFound',
    );
    expect(
      await errorName(sd.send(new CreatePrivateDnsNamespaceCommand({ Name: 'graph.internal', Vpc: vpcId }))),
    ).toBe('NamespaceAlreadyExists');
  });

  it('serves services, instances, health, discovery, tags, pagination and DNS', async () => {
    const nsId = await createNamespace('svc.internal');
    const { Service } = await sd.send(
      new CreateServiceCommand({
        Name: 'graph',
        NamespaceId: nsId,
        DnsConfig: { RoutingPolicy: 'MULTIVALUE', DnsRecords: [{ Type: 'A', TTL: 10 }] },
        HealthCheckCustomConfig: { FailureThreshold: 1 },
        Tags: [{ Key: 'neo4j-ecs:cluster', Value: 'graph' }],
      }),
    );
    const svcId = Service?.Id ?? '';
    expect(Service?.Arn).toBe(`arn:aws:servicediscovery:us-east-1:000000000000:service/${svcId}`);
    expect(svcId).toMatch(/^srv-[a-z0-9]{16}$/);
    expect(
      await errorName(
        sd.send(
          new CreateServiceCommand({
            Name: 'graph',
            NamespaceId: nsId,
            DnsConfig: { DnsRecords: [{ Type: 'A', TTL: 10 }] },
          }),
        ),
      ),
    ).toBe('ServiceAlreadyExists');
    expect(
      (
        await sd.send(new ListServicesCommand({ Filters: [{ Name: 'NAMESPACE_ID', Values: [nsId] }] }))
      ).Services?.map((s) => s.Name),
    ).toEqual(['graph']);
    expect((await sd.send(new GetServiceCommand({ Id: svcId }))).Service?.DnsConfig?.DnsRecords).toEqual([
      { Type: 'A', TTL: 10 },
    ]);

    // A records need AWS_INSTANCE_IPV4.
    expect(
      await errorName(
        sd.send(new RegisterInstanceCommand({ ServiceId: svcId, InstanceId: 'i1', Attributes: {} })),
      ),
    ).toBe('InvalidInput');
    const reg = await Promise.all(
      ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((ip, i) =>
        sd.send(
          new RegisterInstanceCommand({
            ServiceId: svcId,
            InstanceId: `m${i + 1}`,
            Attributes: { AWS_INSTANCE_IPV4: ip, AVAILABILITY_ZONE: 'us-east-1a' },
          }),
        ),
      ),
    );
    expect((await sd.send(new ListInstancesCommand({ ServiceId: svcId }))).Instances).toEqual([]);
    await clock.advance(2_000);
    for (const r of reg)
      expect((await sd.send(new GetOperationCommand({ OperationId: r.OperationId }))).Operation?.Status).toBe(
        'SUCCESS',
      );
    const page1 = await sd.send(new ListInstancesCommand({ ServiceId: svcId, MaxResults: 2 }));
    expect(page1.Instances).toHaveLength(2);
    const page2 = await sd.send(new ListInstancesCommand({ ServiceId: svcId, NextToken: page1.NextToken }));
    expect(page2.Instances?.map((i) => i.Id)).toEqual(['m3']);
    expect(
      (await sd.send(new GetInstanceCommand({ ServiceId: svcId, InstanceId: 'm2' }))).Instance?.Attributes,
    ).toEqual({
      AWS_INSTANCE_IPV4: '10.0.0.2',
      AVAILABILITY_ZONE: 'us-east-1a',
    });
    expect(twin.dns.resolve('graph.svc.internal').sort()).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(twin.dns.resolve('GRAPH.svc.internal.')).toHaveLength(3);
    expect(twin.dns.resolve('m2.graph.svc.internal')).toEqual(['10.0.0.2']);
    expect(twin.dns.resolve('other.svc.internal')).toEqual([]);

    // Custom health: an UNHEALTHY instance leaves DNS and DiscoverInstances (unless asked for ALL).
    await sd.send(
      new UpdateInstanceCustomHealthStatusCommand({
        ServiceId: svcId,
        InstanceId: 'm1',
        Status: 'UNHEALTHY',
      }),
    );
    expect((await sd.send(new GetInstancesHealthStatusCommand({ ServiceId: svcId }))).Status).toEqual({
      m1: 'UNHEALTHY',
      m2: 'HEALTHY',
      m3: 'HEALTHY',
    });
    expect(twin.dns.resolve('graph.svc.internal').sort()).toEqual(['10.0.0.2', '10.0.0.3']);
    const healthy = await sd.send(
      new DiscoverInstancesCommand({ NamespaceName: 'svc.internal', ServiceName: 'graph' }),
    );
    expect(healthy.Instances?.map((i) => i.InstanceId).sort()).toEqual(['m2', 'm3']);
    const all = await sd.send(
      new DiscoverInstancesCommand({
        NamespaceName: 'svc.internal',
        ServiceName: 'graph',
        HealthStatus: 'ALL',
      }),
    );
    expect(all.Instances).toHaveLength(3);
    expect(
      await errorName(
        sd.send(new DiscoverInstancesCommand({ NamespaceName: 'svc.internal', ServiceName: 'nope' })),
      ),
    ).toBe('ServiceNotFound');

    // Tags.
    await sd.send(
      new TagResourceCommand({ ResourceARN: Service?.Arn, Tags: [{ Key: 'team', Value: 'db' }] }),
    );
    await sd.send(new UntagResourceCommand({ ResourceARN: Service?.Arn, TagKeys: ['neo4j-ecs:cluster'] }));
    expect((await sd.send(new ListTagsForResourceCommand({ ResourceARN: Service?.Arn }))).Tags).toEqual([
      { Key: 'team', Value: 'db' },
    ]);
    expect(
      await errorName(
        sd.send(
          new ListTagsForResourceCommand({
            ResourceARN: 'arn:aws:servicediscovery:us-east-1:000000000000:service/srv-x',
          }),
        ),
      ),
    ).toBe('ResourceNotFoundException');

    // In use: the service has instances, the namespace has a service.
    expect(await errorName(sd.send(new DeleteServiceCommand({ Id: svcId })))).toBe('ResourceInUse');
    expect(await errorName(sd.send(new DeleteNamespaceCommand({ Id: nsId })))).toBe('ResourceInUse');
    expect(
      await errorName(sd.send(new DeregisterInstanceCommand({ ServiceId: svcId, InstanceId: 'ghost' }))),
    ).toBe('InstanceNotFound');
    for (const id of ['m1', 'm2', 'm3'])
      await sd.send(new DeregisterInstanceCommand({ ServiceId: svcId, InstanceId: id }));
    await clock.advance(2_000);
    expect(twin.dns.resolve('graph.svc.internal')).toEqual([]);
    await sd.send(new DeleteServiceCommand({ Id: svcId }));
    const del = await sd.send(new DeleteNamespaceCommand({ Id: nsId }));
    await clock.advance(10_000);
    expect((await sd.send(new GetOperationCommand({ OperationId: del.OperationId }))).Operation?.Status).toBe(
      'SUCCESS',
    );
    expect(await errorName(sd.send(new GetNamespaceCommand({ Id: nsId })))).toBe('NamespaceNotFound');

    // Every registration and deregistration is in the world log.
    const registered = twin.world
      .list('servicediscovery.instance.registered')
      .filter((e) => e['serviceId'] === svcId);
    const deregistered = twin.world
      .list('servicediscovery.instance.deregistered')
      .filter((e) => e['serviceId'] === svcId);
    expect(registered.map((e) => e['instanceId']).sort()).toEqual(['m1', 'm2', 'm3']);
    expect(deregistered.map((e) => e['instanceId']).sort()).toEqual(['m1', 'm2', 'm3']);
  });

  it('shows that DiscoverInstances needs disableHostPrefix against an IP endpoint', async () => {
    const { forcePathStyle: _f, ...common } = sdkConfig(twin, { maxAttempts: 1 });
    const prefixed = new ServiceDiscoveryClient(common);
    try {
      const err = await prefixed
        .send(new DiscoverInstancesCommand({ NamespaceName: 'svc.internal', ServiceName: 'graph' }))
        .then(
          () => undefined,
          (e: unknown) => e as Error,
        );
      expect(err?.message).toContain('data-127.0.0.1');
    } finally {
      prefixed.destroy();
    }
  });
});

describe('Cloud Map through the AWS CLI', () => {
  it('creates a namespace, a service and instances, and discovers them (through HTTP_PROXY for the data- prefix)', async () => {
    const created = (await awsCli(twin, [
      'servicediscovery',
      'create-private-dns-namespace',
      '--name',
      'cli.internal',
      '--vpc',
      vpcId,
    ])) as { OperationId: string };
    await clock.advance(10_000);
    const op = (await awsCli(twin, [
      'servicediscovery',
      'get-operation',
      '--operation-id',
      created.OperationId,
    ])) as {
      Operation: { Status: string; Targets: { NAMESPACE: string } };
    };
    expect(op.Operation.Status).toBe('SUCCESS');
    const nsId = op.Operation.Targets.NAMESPACE;
    const svc = (await awsCli(twin, [
      'servicediscovery',
      'create-service',
      '--name',
      'graph',
      '--namespace-id',
      nsId,
      '--dns-config',
      'RoutingPolicy=MULTIVALUE,DnsRecords=[{Type=A,TTL=10}]',
      '--health-check-custom-config',
      'FailureThreshold=1',
    ])) as { Service: { Id: string } };
    await awsCli(twin, [
      'servicediscovery',
      'register-instance',
      '--service-id',
      svc.Service.Id,
      '--instance-id',
      'cli-1',
      '--attributes',
      'AWS_INSTANCE_IPV4=10.1.0.1',
    ]);
    await clock.advance(2_000);
    const listed = (await awsCli(twin, [
      'servicediscovery',
      'list-instances',
      '--service-id',
      svc.Service.Id,
    ])) as {
      Instances: { Id: string }[];
    };
    expect(listed.Instances.map((i) => i.Id)).toEqual(['cli-1']);
    const ns = (await awsCli(twin, ['servicediscovery', 'list-namespaces'])) as {
      Namespaces: { Name: string }[];
    };
    expect(ns.Namespaces.map((n) => n.Name)).toContain('cli.internal');
    await awsCli(twin, [
      'servicediscovery',
      'update-instance-custom-health-status',
      '--service-id',
      svc.Service.Id,
      '--instance-id',
      'cli-1',
      '--status',
      'HEALTHY',
    ]);
    const health = (await awsCli(twin, [
      'servicediscovery',
      'get-instances-health-status',
      '--service-id',
      svc.Service.Id,
    ])) as {
      Status: Record<string, string>;
    };
    expect(health.Status).toEqual({ 'cli-1': 'HEALTHY' });

    // botocore prefixes data- to the endpoint host too; the twin serves absolute-form proxy requests.
    const discover = [
      'servicediscovery',
      'discover-instances',
      '--namespace-name',
      'cli.internal',
      '--service-name',
      'graph',
    ];
    const direct = await awsCliRaw(twin, discover);
    expect(direct.exitCode).not.toBe(0);
    expect(direct.stderr).toContain('data-127.0.0.1');
    const viaProxy = (await awsCli(twin, discover, { env: { HTTP_PROXY: twin.endpoint, NO_PROXY: '' } })) as {
      Instances: { InstanceId: string; Attributes: Record<string, string> }[];
    };
    expect(viaProxy.Instances).toEqual([
      expect.objectContaining({ InstanceId: 'cli-1', Attributes: { AWS_INSTANCE_IPV4: '10.1.0.1' } }),
    ]);

    const err = await awsCliRaw(twin, ['servicediscovery', 'get-service', '--id', 'srv-doesnotexist0000']);
    expect(err.errorCode).toBe('ServiceNotFound');
    const tags = await awsCliRaw(twin, [
      'servicediscovery',
      'tag-resource',
      '--resource-arn',
      `arn:aws:servicediscovery:us-east-1:000000000000:namespace/${nsId}`,
      '--tags',
      'Key=env,Value=test',
    ]);
    expect(tags.exitCode).toBe(0);
    const listedTags = (await awsCli(twin, [
      'servicediscovery',
      'list-tags-for-resource',
      '--resource-arn',
      `arn:aws:servicediscovery:us-east-1:000000000000:namespace/${nsId}`,
    ])) as { Tags: { Key: string; Value: string }[] };
    expect(listedTags.Tags).toEqual([{ Key: 'env', Value: 'test' }]);
  });
});
