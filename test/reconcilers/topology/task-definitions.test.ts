/** The generated task definitions, and registration only when the content changes. */
import {
  neo4jEnvName,
  normalizeTaskDefinition,
  planTaskDefinitions,
  taskDefinitionFor,
} from '../../../src/reconcilers/topology/task-definitions.js';
import type { RegisterTaskDefinition } from '../../../src/reconcilers/topology/task-definitions.js';
import { brief, cluster, member, volume, world } from './fixtures.js';

const envOf = (td: ReturnType<typeof taskDefinitionFor>): Record<string, string> =>
  Object.fromEntries(td.containerDefinitions[0]!.environment.map((e) => [e.name, e.value]));

describe('task definitions', () => {
  it('escapes neo4j.conf keys as the official image does', () => {
    expect(neo4jEnvName('server.memory.heap.max_size')).toBe('NEO4J_server_memory_heap_max__size');
    expect(neo4jEnvName('dbms.cluster.minimum_initial_system_primaries_count')).toBe(
      'NEO4J_dbms_cluster_minimum__initial__system__primaries__count',
    );
  });

  it('a primary: image, mode, memory, discovery, member and volume, secret, bind mount, ports, health, logs', () => {
    const c = cluster(
      (s) => ((s['neo4j'] as Record<string, unknown>)['config'] = { 'db.logs.query.enabled': 'OFF' }),
    );
    const td = taskDefinitionFor(c, { kind: 'primary', member: member(1), volumeId: 'vol-1' });
    const env = envOf(td);
    expect(td.family).toBe(member(1));
    expect(td.networkMode).toBe('awsvpc');
    expect(td.containerDefinitions[0]!.image).toBe('neo4j:5.26.12-enterprise');
    expect(env).toMatchObject({
      NEO4J_ACCEPT_LICENSE_AGREEMENT: 'yes',
      NEO4J_initial_server_mode__constraint: 'PRIMARY',
      NEO4J_server_cluster_system__database__mode: 'PRIMARY',
      NEO4J_server_memory_heap_max__size: '1g',
      NEO4J_server_memory_pagecache_size: '1g',
      NEO4J_db_logs_query_enabled: 'OFF',
      NEO4J_dbms_cluster_discovery_resolver__type: 'DNS',
      NEO4J_dbms_cluster_discovery_version: 'V2_ONLY',
      NEO4J_dbms_cluster_discovery_v2_endpoints: 'graph-minimal.neo4j.internal:6000',
      NEO4J_dbms_cluster_minimum__initial__system__primaries__count: '3',
      NEO4J_ECS_MEMBER: member(1),
      NEO4J_ECS_VOLUME_ID: 'vol-1',
    });
    expect(env['NEO4J_AUTH']).toBeUndefined();
    expect(td.containerDefinitions[0]!.secrets).toEqual([
      { name: 'NEO4J_AUTH', valueFrom: c.spec.credentials.secretArn },
    ]);
    expect(td.executionRoleArn).toBe('arn:aws:iam::000000000000:role/neo4j-ecs-graph-minimal-execution');
    expect(td.volumes).toEqual([{ name: 'data', host: { sourcePath: `/var/lib/neo4j-ecs/${member(1)}` } }]);
    expect(td.containerDefinitions[0]!.mountPoints[0]).toMatchObject({
      sourceVolume: 'data',
      containerPath: '/data',
    });
    expect(td.containerDefinitions[0]!.portMappings.map((p) => p.containerPort)).toEqual([
      7687, 7474, 6000, 7000, 7688,
    ]);
    expect(td.containerDefinitions[0]!.logConfiguration.options['awslogs-group']).toBe(
      '/neo4j-ecs/graph-minimal',
    );
  });

  it('2025.x uses dbms.cluster.endpoints; secondaries have no volume and the SECONDARY mode', () => {
    const c = cluster((s) => ((s['neo4j'] as Record<string, unknown>)['version'] = '2025.10.1'));
    const env = envOf(taskDefinitionFor(c, { kind: 'secondary' }));
    expect(env['NEO4J_dbms_cluster_endpoints']).toBe('graph-minimal.neo4j.internal:6000');
    expect(env['NEO4J_dbms_cluster_discovery_version']).toBeUndefined();
    expect(env['NEO4J_initial_server_mode__constraint']).toBe('SECONDARY');
    expect(env['NEO4J_ECS_VOLUME_ID']).toBeUndefined();
  });

  it('registers missing families, skips matching content whatever the revision, re-registers changed content', () => {
    const c = cluster();
    const w = world({ volumes: [volume(1), volume(2)] });
    expect(brief(planTaskDefinitions(c, w))).toEqual([
      `act:RegisterTaskDefinition:${member(1)}`,
      `act:RegisterTaskDefinition:${member(2)}`,
      `wait:VolumeMissing:${member(3)}`,
    ]);
    // As ECS describes it: extra fields, defaults, other order.
    const described = (m: number, image = 'neo4j:5.26.12-enterprise') => {
      const td = taskDefinitionFor(c, { kind: 'primary', member: member(m), volumeId: `vol-${m}` });
      const cd = td.containerDefinitions[0]!;
      return {
        ...td,
        revision: 7,
        status: 'ACTIVE',
        taskDefinitionArn: `arn:td/${member(m)}:7`,
        containerDefinitions: [
          {
            ...cd,
            image,
            environment: [...cd.environment].reverse(),
            cpu: 0,
            portMappings: cd.portMappings.map((p) => ({ ...p, hostPort: p.containerPort })),
          },
        ],
      };
    };
    w.topology!.taskDefinitions = {
      [member(1)]: { family: member(1), arn: 'arn:td/1:7', revision: 7, content: described(1) },
      [member(2)]: {
        family: member(2),
        arn: 'arn:td/2:7',
        revision: 7,
        content: described(2, 'neo4j:5.26.11-enterprise'),
      },
    };
    const steps = planTaskDefinitions(c, w);
    expect(brief(steps)).toEqual([
      `act:RegisterTaskDefinition:${member(2)}`,
      `wait:VolumeMissing:${member(3)}`,
    ]);
    expect((steps[0] as RegisterTaskDefinition).reason).toBe('TaskDefinitionChanged');
    // Growing the primaries changes only the formation count: no new revision for running members.
    const four = cluster((s) => {
      s['primaries'] = {
        count: 4,
        zones: [
          { zone: 'us-east-1a', count: 2 },
          { zone: 'us-east-1b', count: 1 },
          { zone: 'us-east-1c', count: 1 },
        ],
      };
    });
    expect(brief(planTaskDefinitions(four, w))).toEqual([
      `act:RegisterTaskDefinition:${member(2)}`,
      `wait:VolumeMissing:${member(3)}`,
      `wait:VolumeMissing:${member(4)}`,
    ]);
    expect(normalizeTaskDefinition(described(1))).toEqual(
      normalizeTaskDefinition(
        taskDefinitionFor(c, { kind: 'primary', member: member(1), volumeId: 'vol-1' }),
      ),
    );
  });
});
