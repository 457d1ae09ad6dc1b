/**
 * ECS service registries and awsvpc network configuration in the twin: the validation ECS does
 * (registry exists, A records need awsvpc and take no port, SRV records need a port, one registry,
 * subnets and security groups exist in one VPC, at most 5 groups), DescribeServices showing them, and
 * the registration of a service's tasks in Cloud Map over their life: registered with their address
 * when RUNNING, deregistered when they start stopping, the replacement registered with its new
 * address, and container health mirrored to the instance's custom health.
 */
import type { Wire } from '../../../../twin/aws/contract.js';
import {
  cloudMapService,
  clusterWithAsg,
  describeService,
  harness,
  registerTd,
  serviceTasks,
  waitForInstances,
} from './harness.js';
import type { Harness } from './harness.js';

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.stop());

async function setup(): Promise<{
  cluster: string;
  subnets: string[];
  registryArn: string;
  serviceId: string;
}> {
  const { cluster, subnets } = await clusterWithAsg(h, { cluster: 'cm', desired: 2 });
  await waitForInstances(h, cluster, 2);
  const { registryArn, serviceId } = await cloudMapService(h, { namespace: 'cm.internal', service: 'graph' });
  return { cluster, subnets: subnets.map((s) => s.id), registryArn, serviceId };
}

const address = (t: Wire): string =>
  (t['attachments'] as { details: { name: string; value: string }[] }[])[0]?.details.find(
    (d) => d.name === 'privateIPv4Address',
  )?.value ?? '';

describe('ECS service registries', () => {
  it('validates registries and the awsvpc network as ECS does', async () => {
    const { cluster, subnets, registryArn } = await setup();
    const awsvpc = await registerTd(
      h,
      'a',
      { networkMode: 'awsvpc' },
      { portMappings: [{ containerPort: 7687 }] },
    );
    const bridge = await registerTd(h, 'b', {}, { portMappings: [{ containerPort: 7687, hostPort: 0 }] });
    const net = { awsvpcConfiguration: { subnets } };
    const base = { cluster, desiredCount: 0 };
    const fails = (name: string, input: Wire, code = 'InvalidParameterException') =>
      h.fails('ecs', 'CreateService', { ...base, serviceName: name, ...input }, code);

    expect((await fails('n1', { taskDefinition: awsvpc })).message).toMatch(
      /Network Configuration must be provided/,
    );
    expect(
      (
        await fails('n2', {
          taskDefinition: awsvpc,
          networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0000000000000000f'] } },
        })
      ).message,
    ).toMatch(/InvalidSubnetID.NotFound/);
    expect(
      (
        await fails('n3', {
          taskDefinition: awsvpc,
          networkConfiguration: {
            awsvpcConfiguration: { subnets, securityGroups: ['sg-0000000000000000f'] },
          },
        })
      ).message,
    ).toMatch(/InvalidGroup.NotFound/);
    const six: string[] = [];
    for (let i = 0; i < 6; i++) {
      const g = await h.call('ec2', 'CreateSecurityGroup', { GroupName: `g${i}`, GroupDescription: 'x' });
      six.push(String(g['groupId']));
    }
    expect(
      (
        await fails('n4', {
          taskDefinition: awsvpc,
          networkConfiguration: { awsvpcConfiguration: { subnets, securityGroups: six } },
        })
      ).message,
    ).toMatch(/At most 5 security groups/);
    expect((await fails('n5', { taskDefinition: bridge, networkConfiguration: net })).message).toMatch(
      /not valid for the given networkMode/,
    );

    const missing = registryArn.replace(/srv-[a-z0-9]+$/, 'srv-aaaaaaaaaaaaaaaa');
    expect(
      (
        await fails('r1', {
          taskDefinition: awsvpc,
          networkConfiguration: net,
          serviceRegistries: [{ registryArn: missing }],
        })
      ).message,
    ).toMatch(/does not exist/);
    expect(
      (
        await fails('r2', {
          taskDefinition: awsvpc,
          networkConfiguration: net,
          serviceRegistries: [{ registryArn, port: 6000 }],
        })
      ).message,
    ).toMatch(/only used with SRV records/);
    expect(
      (await fails('r3', { taskDefinition: bridge, serviceRegistries: [{ registryArn }] })).message,
    ).toMatch(/need the awsvpc network mode/);
    expect(
      (
        await fails('r4', {
          taskDefinition: awsvpc,
          networkConfiguration: net,
          serviceRegistries: [{ registryArn }, { registryArn }],
        })
      ).message,
    ).toMatch(/Only one service registry/);
    // SRV records: a port (awsvpc) or a container and its mapped port, not both.
    const srv = (
      await h.call('servicediscovery', 'CreateService', {
        Name: 'graph-srv',
        NamespaceId: (
          (await h.call('servicediscovery', 'ListNamespaces', {}))['Namespaces'] as { Id: string }[]
        )[0]?.Id,
        DnsConfig: { DnsRecords: [{ Type: 'SRV', TTL: 10 }] },
      })
    )['Service'] as { Arn: string };
    expect(
      (
        await fails('s1', {
          taskDefinition: awsvpc,
          networkConfiguration: net,
          serviceRegistries: [{ registryArn: srv.Arn }],
        })
      ).message,
    ).toMatch(/SRV records need a port/);
    expect(
      (
        await fails('s2', {
          taskDefinition: bridge,
          serviceRegistries: [{ registryArn: srv.Arn, containerName: 'neo4j', containerPort: 7474 }],
        })
      ).message,
    ).toMatch(/no port mapping for container port 7474/);
    await h.call('ecs', 'CreateService', {
      ...base,
      serviceName: 's3',
      taskDefinition: bridge,
      serviceRegistries: [{ registryArn: srv.Arn, containerName: 'neo4j', containerPort: 7687 }],
    });

    // Valid: A records with awsvpc, no port; DescribeServices shows the registry and the network.
    await h.call('ecs', 'CreateService', {
      ...base,
      serviceName: 'ok',
      taskDefinition: awsvpc,
      networkConfiguration: net,
      serviceRegistries: [{ registryArn }],
    });
    const svc = await describeService(h, cluster, 'ok');
    expect(svc['serviceRegistries']).toEqual([{ registryArn }]);
    const defaults = await h.call('ec2', 'DescribeSecurityGroups', {
      Filter: [{ Name: 'group-name', Value: ['default'] }],
    });
    const defaultSg = (defaults['securityGroupInfo'] as { groupId: string }[])[0]?.groupId;
    expect(svc['networkConfiguration']).toEqual({
      awsvpcConfiguration: { subnets, securityGroups: [defaultSg], assignPublicIp: 'DISABLED' },
    });
  });

  it('registers RUNNING tasks, deregisters them when they start stopping, and registers the replacement', async () => {
    const { cluster, subnets, registryArn, serviceId } = await setup();
    const td = await registerTd(
      h,
      'graph',
      { networkMode: 'awsvpc' },
      {
        portMappings: [{ containerPort: 7687 }],
        healthCheck: { command: ['CMD', 'true'], interval: 5, startPeriod: 10 },
      },
    );
    await h.call('ecs', 'CreateService', {
      cluster,
      serviceName: 'graph',
      taskDefinition: td,
      desiredCount: 2,
      deploymentConfiguration: { minimumHealthyPercent: 0, maximumPercent: 100 },
      networkConfiguration: { awsvpcConfiguration: { subnets } },
      serviceRegistries: [{ registryArn }],
    });
    await h.until(
      async () =>
        (await serviceTasks(h, cluster, 'graph')).filter((t) => t['lastStatus'] === 'RUNNING').length === 2,
      60_000,
    );
    const tasks = await serviceTasks(h, cluster, 'graph');
    const instances = (await h.call('servicediscovery', 'ListInstances', { ServiceId: serviceId }))[
      'Instances'
    ] as {
      Id: string;
      Attributes: Record<string, string>;
    }[];
    expect(instances.map((i) => i.Id).sort()).toEqual(
      tasks.map((t) => String(t['taskArn']).split('/').pop()).sort(),
    );
    const first = tasks[0]!;
    const firstId = String(first['taskArn']).split('/').pop()!;
    expect(instances.find((i) => i.Id === firstId)?.Attributes).toEqual({
      AWS_INSTANCE_IPV4: address(first),
      AVAILABILITY_ZONE: first['availabilityZone'],
      AWS_INIT_HEALTH_STATUS: 'HEALTHY',
      ECS_CLUSTER_NAME: 'cm',
      ECS_SERVICE_NAME: 'graph',
      ECS_TASK_DEFINITION_FAMILY: 'graph',
      REGION: 'us-east-1',
    });
    expect(h.cloudMap.resolve('graph.cm.internal').sort()).toEqual(tasks.map(address).sort());

    // Container health goes to Cloud Map's custom health: an UNHEALTHY task leaves DNS at once.
    await h.control('setTaskHealth', { taskArn: first['taskArn'], status: 'UNHEALTHY' });
    expect(h.cloudMap.resolve('graph.cm.internal')).not.toContain(address(first));

    // Stop: deregistered as it starts stopping, before the containers exit.
    await h.call('ecs', 'StopTask', { cluster, task: first['taskArn'] });
    const dereg = h.events('servicediscovery.instance.deregistered').find((e) => e['instanceId'] === firstId);
    expect(dereg).toBeDefined();
    const described = await h.call('ecs', 'DescribeTasks', { cluster, tasks: [first['taskArn']] });
    expect((described['tasks'] as Wire[])[0]?.['lastStatus']).toBe('RUNNING');

    // The scheduler replaces it; the replacement is registered with its own, new address.
    await h.until(
      async () =>
        (await serviceTasks(h, cluster, 'graph')).filter((t) => t['lastStatus'] === 'RUNNING').length === 2,
      60_000,
    );
    const now = await serviceTasks(h, cluster, 'graph');
    const replacement = now.find((t) => !tasks.some((o) => o['taskArn'] === t['taskArn']))!;
    expect(address(replacement)).not.toBe(address(first));
    expect(h.cloudMap.resolve('graph.cm.internal').sort()).toEqual(now.map(address).sort());

    // Invariant over the whole run: every registration of a task came after it was RUNNING, and every
    // task that stopped was deregistered no later than its containers exited.
    const log = h.world.list();
    for (const e of log.filter((x) => x.kind === 'servicediscovery.instance.registered')) {
      const running = log.find(
        (x) =>
          x.kind === 'ecs.task.state' &&
          String(x['taskArn']).endsWith(`/${String(e['instanceId'])}`) &&
          x['to'] === 'RUNNING',
      );
      expect(running && running.seq < e.seq).toBe(true);
    }
    for (const s of log.filter((x) => x.kind === 'ecs.task.state' && x['to'] === 'DEPROVISIONING')) {
      const id = String(s['taskArn']).split('/').pop();
      const d = log.find(
        (x) => x.kind === 'servicediscovery.instance.deregistered' && x['instanceId'] === id,
      );
      expect(d && d.seq < s.seq).toBe(true);
    }

    // The Cloud Map service cannot be deleted while tasks are registered in it.
    await h.fails('servicediscovery', 'DeleteService', { Id: serviceId }, 'ResourceInUse');
  });
});
