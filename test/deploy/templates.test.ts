/**
 * deploy/cluster-infra.yaml and deploy/operator.yaml: cfn-lint passes on both (a missing cfn-lint fails
 * in CI), and they hold the parameters, resources and outputs docs/operations.md promises and the
 * names the operator relies on (ASG names of the examples, the execution-role convention, the secret
 * form, the controller's environment variables).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { validateCluster } from '../../src/model/document.js';
import type { Template } from './cfn.js';
import { REPO, cfnLint, collect, loadTemplate, requireTool, shellcheck, templatePath } from './cfn.js';

const infra = loadTemplate('cluster-infra.yaml');
const operator = loadTemplate('operator.yaml');
const ops = readFileSync(join(REPO, 'docs/operations.md'), 'utf8');

function ofType(t: Template, type: string): [string, Template['Resources'][string]][] {
  return Object.entries(t.Resources).filter(([, r]) => r.Type === type);
}

/** Names in the first column (`Name`) of the table under the markdown heading `heading`. */
function documented(heading: string): string[] {
  const start = ops.indexOf(heading);
  if (start < 0) throw new Error(`docs/operations.md has no heading "${heading}"`);
  const rest = ops.slice(start + heading.length);
  const end = rest.search(/\n#{1,4} /);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^\| `([A-Za-z0-9]+)`/gm)].map((m) => m[1]!);
}

describe('cfn-lint', () => {
  it.each(['cluster-infra.yaml', 'operator.yaml'])(
    'passes on deploy/%s',
    (file) => {
      const tool = requireTool('cfn-lint', cfnLint());
      if (!tool) return;
      let out = '';
      try {
        out = execFileSync(tool, [templatePath(file)], { encoding: 'utf8', timeout: 120_000 });
      } catch (e) {
        const err = e as { stdout?: string; stderr?: string };
        throw new Error(`cfn-lint failed on ${file}:\n${err.stdout ?? ''}${err.stderr ?? ''}`, { cause: e });
      }
      expect(out.trim()).toBe('');
    },
    180_000,
  );
});

describe('docs/operations.md and the templates agree', () => {
  it.each([
    ['cluster-infra.yaml', infra],
    ['operator.yaml', operator],
  ] as const)(
    'every parameter and output of %s is documented, and every documented one exists',
    (file, t) => {
      expect(documented(`### Parameters of deploy/${file}`).sort()).toEqual(Object.keys(t.Parameters).sort());
      expect(documented(`### Outputs of deploy/${file}`).sort()).toEqual(Object.keys(t.Outputs).sort());
    },
  );
});

describe('the spec docs/operations.md shows', () => {
  const block = /```yaml\n([\s\S]*?)```/.exec(ops)?.[1] ?? '';
  const spec = parse(block.replace(/^ {3}/gm, '')) as Record<string, never>;

  it('is a valid Neo4jCluster', () => {
    expect(block).toContain('kind: Neo4jCluster');
    expect(validateCluster(spec).problems).toEqual([]);
  });

  it('uses the names cluster-infra.yaml gives its ASGs and secret', () => {
    const { cluster } = validateCluster(spec);
    const ecs = cluster!.spec.ecs.cluster;
    const asgNames = ['PrimaryGroupA', 'PrimaryGroupB', 'PrimaryGroupC'].map((r) =>
      (infra.Resources[r]!.Properties['AutoScalingGroupName'] as { 'Fn::Sub': string })['Fn::Sub'].replace(
        '${EcsClusterName}',
        ecs,
      ),
    );
    expect(Object.values(cluster!.spec.capacity.primaryAutoScalingGroups)).toEqual(asgNames);
    const secretName = (infra.Resources['AuthSecret']!.Properties['Name'] as { 'Fn::Sub': string })[
      'Fn::Sub'
    ];
    expect(cluster!.spec.credentials.secretArn).toContain(
      `:secret:${secretName.replace('${ClusterName}', cluster!.metadata.name)}-`,
    );
  });
});

describe('cluster-infra.yaml', () => {
  it('opens Bolt, routing and HTTP to clients and discovery, raft, routing, backup, Bolt and HTTP between members', () => {
    const sg = ofType(infra, 'AWS::EC2::SecurityGroup');
    expect(sg).toHaveLength(1);
    const clientPorts = (sg[0]![1].Properties['SecurityGroupIngress'] as { FromPort: number }[]).map(
      (r) => r.FromPort,
    );
    expect(clientPorts.sort()).toEqual([7474, 7687, 7688]);
    const memberPorts = ofType(infra, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => {
      expect(r.Properties['SourceSecurityGroupId']).toEqual({ Ref: sg[0]![0] });
      return r.Properties['FromPort'];
    });
    expect(memberPorts.sort()).toEqual([6000, 6362, 7000, 7474, 7687, 7688]);
  });

  it('creates the ECS cluster of spec.ecs.cluster and one empty primaries ASG per AZ named as the examples name them', () => {
    expect(ofType(infra, 'AWS::ECS::Cluster')[0]![1].Properties['ClusterName']).toEqual({
      Ref: 'EcsClusterName',
    });
    const example = parse(readFileSync(join(REPO, 'examples/minimal.yaml'), 'utf8')) as {
      spec: { ecs: { cluster: string }; capacity: { primaryAutoScalingGroups: Record<string, string> } };
    };
    const asgs = ofType(infra, 'AWS::AutoScaling::AutoScalingGroup');
    const primaries = asgs.filter(([, r]) => r.Condition === undefined);
    expect(primaries).toHaveLength(3);
    const names = primaries.map(([, r]) =>
      (r.Properties['AutoScalingGroupName'] as { 'Fn::Sub': string })['Fn::Sub'].replace(
        '${EcsClusterName}',
        example.spec.ecs.cluster,
      ),
    );
    expect(names.sort()).toEqual(Object.values(example.spec.capacity.primaryAutoScalingGroups).sort());
    for (const [, r] of asgs) {
      expect(r.Properties['DesiredCapacity']).toBe('0');
      expect(r.Properties['MinSize']).toBe('0');
      // The operator creates its termination lifecycle hook itself.
      expect(r.Properties['LifecycleHookSpecificationList']).toBeUndefined();
      const tags = r.Properties['Tags'] as { Key: string; Value: unknown; PropagateAtLaunch: boolean }[];
      expect(tags).toContainEqual({
        Key: 'managed-by',
        Value: 'neo4j-ecs-operator',
        PropagateAtLaunch: true,
      });
    }
    for (const [, r] of primaries) expect((r.Properties['VPCZoneIdentifier'] as unknown[]).length).toBe(1);
  });

  it('offers secondaries on a mixed on-demand/spot ASG, only when subnets are given', () => {
    const [, sec] = ofType(infra, 'AWS::AutoScaling::AutoScalingGroup').find(([, r]) => r.Condition)!;
    expect(sec.Condition).toBe('HasSecondaries');
    expect(collect(sec.Properties, 'OnDemandPercentageAboveBaseCapacity')).toEqual([
      { Ref: 'SecondaryOnDemandPercentage' },
    ]);
  });

  it('runs the host volume agent from the primaries launch template user data, and lets the instance role read volumes', () => {
    const [, lt] = ofType(infra, 'AWS::EC2::LaunchTemplate').find(([n]) => n === 'PrimaryLaunchTemplate')!;
    const userData = JSON.stringify(collect(lt.Properties, 'Fn::Base64'));
    expect(userData).toContain('ECS_CLUSTER=${EcsClusterName}');
    expect(userData).toContain('neo4j-ecs-volume-agent --watch');
    const role = JSON.stringify(infra.Resources['InstanceRole']);
    expect(role).toContain('ec2:DescribeVolumes');
    expect(role).toContain('AmazonEC2ContainerServiceforEC2Role');
  });

  it.each(['PrimaryLaunchTemplate', 'SecondaryLaunchTemplate'])(
    'the user data of %s is a shellcheck-clean bash script',
    (name) => {
      const sub = collect(infra.Resources[name]!.Properties, 'Fn::Sub').find(
        (x) => typeof x === 'string' && x.startsWith('#!/bin/bash'),
      ) as string;
      expect(sub).toBeDefined();
      const script = sub.replace(/\$\{[\w:]+\}/g, 'placeholder');
      expect(() => execFileSync('bash', ['-n'], { input: script })).not.toThrow();
      const tool = requireTool('shellcheck', shellcheck());
      if (!tool) return;
      expect(() =>
        execFileSync(tool, ['-s', 'bash', '-'], { input: script, encoding: 'utf8' }),
      ).not.toThrow();
    },
  );

  it('stores the secret in the NEO4J_AUTH form and creates the execution role the task definitions name', () => {
    const [, secret] = ofType(infra, 'AWS::SecretsManager::Secret')[0]!;
    expect(secret.Properties['SecretString']).toEqual({ 'Fn::Sub': '${Neo4jUsername}/${Neo4jPassword}' });
    expect(infra.Parameters['Neo4jPassword']?.NoEcho).toBe(true);
    const exec = infra.Resources['ExecutionRole']!;
    // src/reconcilers/topology/names.ts executionRoleArn: role/neo4j-ecs-<cluster>-execution
    expect(exec.Properties['RoleName']).toEqual({ 'Fn::Sub': 'neo4j-ecs-${ClusterName}-execution' });
    const statements = collect(exec.Properties, 'Statement').flat() as {
      Action: unknown;
      Resource?: unknown;
    }[];
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: { Ref: 'AuthSecret' } }),
    );
  });

  it('creates the Cloud Map private DNS namespace of spec.discovery.namespace and the cluster’s service in it', () => {
    const [, ns] = ofType(infra, 'AWS::ServiceDiscovery::PrivateDnsNamespace')[0]!;
    expect(ns.Properties['Name']).toEqual({ Ref: 'DiscoveryNamespace' });
    expect(infra.Parameters['DiscoveryNamespace']?.Default).toBe('neo4j.internal');
    const [, svc] = ofType(infra, 'AWS::ServiceDiscovery::Service')[0]!;
    expect(svc.Properties['Name']).toEqual({ Ref: 'ClusterName' });
    // src/aws/network.ts: the operator attaches the A-record MULTIVALUE service it finds by name.
    expect(svc.Properties['DnsConfig']).toEqual({
      RoutingPolicy: 'MULTIVALUE',
      DnsRecords: [{ Type: 'A', TTL: 10 }],
    });
    expect(svc.Properties['NamespaceId']).toEqual({ Ref: 'DiscoveryNamespaceResource' });
  });

  it('tags the members’ security group neo4j-ecs:cluster, which is how the operator finds it', () => {
    const sg = ofType(infra, 'AWS::EC2::SecurityGroup');
    expect(sg).toHaveLength(1);
    expect(sg[0]![1].Properties['Tags']).toContainEqual({
      Key: 'neo4j-ecs:cluster',
      Value: { Ref: 'ClusterName' },
    });
  });

  it('the ECS agent of the secondaries drains on a spot interruption notice; the primaries’ leaves that to the operator', () => {
    const userData = (name: string): string =>
      JSON.stringify(collect(infra.Resources[name]!.Properties, 'Fn::Base64'));
    expect(userData('SecondaryLaunchTemplate')).toMatch(
      /\{\\n(\s*echo ECS_[A-Z_]+=\S+\\n)*\s*echo ECS_ENABLE_SPOT_INSTANCE_DRAINING=true\\n(\s*echo ECS_[A-Z_]+=\S+\\n)*\s*\} >> \/etc\/ecs\/ecs.config/,
    );
    expect(userData('PrimaryLaunchTemplate')).toMatch(/echo ECS_CLUSTER=/);
    expect(userData('PrimaryLaunchTemplate')).not.toMatch(/echo ECS_ENABLE_SPOT_INSTANCE_DRAINING/);
  });
});

describe('operator.yaml', () => {
  const env = (): Record<string, unknown> => {
    const td = ofType(operator, 'AWS::ECS::TaskDefinition')[0]![1];
    const c = (
      td.Properties['ContainerDefinitions'] as { Environment: { Name: string; Value: unknown }[] }[]
    )[0]!;
    return Object.fromEntries(c.Environment.map((e) => [e.Name, e.Value]));
  };

  it('runs one or two controllers as an ECS service', () => {
    expect(operator.Parameters['DesiredCount']?.AllowedValues).toEqual([1, 2]);
    const [, svc] = ofType(operator, 'AWS::ECS::Service')[0]!;
    expect(svc.Properties['DesiredCount']).toEqual({ Ref: 'DesiredCount' });
  });

  it('creates the spec bucket with versioning and configures the source from the parameters', () => {
    const [, bucket] = ofType(operator, 'AWS::S3::Bucket')[0]!;
    expect(bucket.Properties['VersioningConfiguration']).toEqual({ Status: 'Enabled' });
    expect(env()['NEO4J_ECS_SOURCE']).toEqual({
      'Fn::If': ['IsGit', { Ref: 'GitSource' }, { 'Fn::Sub': 's3://${SpecBucketName}/${SpecPrefix}' }],
    });
  });

  it('sets only environment variables docs/controller.md documents', () => {
    const documentedVars = new Set(
      readFileSync(join(REPO, 'docs/controller.md'), 'utf8').match(/NEO4J_ECS_[A-Z_]+/g),
    );
    for (const name of Object.keys(env())) expect([name, documentedVars.has(name)]).toEqual([name, true]);
  });

  it('has a task role, an execution role, awslogs and a health check on /healthz', () => {
    const td = ofType(operator, 'AWS::ECS::TaskDefinition')[0]![1];
    expect(td.Properties['TaskRoleArn']).toEqual({ 'Fn::GetAtt': ['TaskRole', 'Arn'] });
    expect(td.Properties['ExecutionRoleArn']).toEqual({ 'Fn::GetAtt': ['ExecutionRole', 'Arn'] });
    const text = JSON.stringify(td.Properties);
    expect(text).toContain('"LogDriver":"awslogs"');
    expect(text).toContain('127.0.0.1:8080/healthz');
    expect(env()['NEO4J_ECS_HTTP_PORT']).toBe('8080');
  });

  it('alarms on reconcile errors, blocked rolls and a lifecycle hook wait', () => {
    const alarms = JSON.stringify(ofType(operator, 'AWS::CloudWatch::Alarm'));
    expect(alarms).toContain('SUM(ReconcileErrors)');
    expect(alarms).toContain('RollBlockedEvents');
    expect(alarms).toContain('LifecycleHookWaitEvents');
    const filters = ofType(operator, 'AWS::Logs::MetricFilter').map(([, r]) => r.Properties['FilterPattern']);
    expect(filters).toHaveLength(2);
    for (const reason of ['RollPaused', 'AwaitingApproval', 'QuorumAtRisk', 'DowngradeRefused'])
      expect(filters[0]).toContain(`$.reason = "${reason}"`);
    expect(filters[1]).toBe('{ $.reason = "LifecycleHookNearTimeout" }');
  });
});
