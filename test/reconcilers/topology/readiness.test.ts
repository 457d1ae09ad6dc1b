import type { ObservedCluster, ObservedTask } from '../../../src/model/observed.js';
import { planReadiness } from '../../../src/reconcilers/topology/readiness.js';
import { cluster, member, NAME } from './fixtures.js';

const task = (service: string, lastStatus = 'RUNNING', desiredStatus = 'RUNNING'): ObservedTask => ({
  taskArn: `arn:task/${service}/${lastStatus}`,
  group: `service:${service}`,
  lastStatus,
  desiredStatus,
  taskDefinitionArn: `arn:td/${service}:1`,
});

const allPrimaries = [task(member(1)), task(member(2)), task(member(3))];
const neo4jUp = { membersUp: 3, databases: 2, databasesWithLeader: 2, unreachable: [] };

type Case = {
  name: string;
  secondaries?: number;
  tasks: ObservedTask[];
  neo4j?: ObservedCluster['neo4j'];
  neo4jObserved?: boolean;
  expect: [reason: string, member?: string][];
};

const cases: Case[] = [
  { name: 'everything up: no hold (Ready)', tasks: allPrimaries, neo4j: neo4jUp, expect: [] },
  {
    name: 'a primary still PENDING',
    tasks: [task(member(1), 'PENDING'), task(member(2)), task(member(3))],
    neo4j: neo4jUp,
    expect: [['MemberNotRunning', member(1)]],
  },
  {
    name: 'a primary with no task at all, and a stopping one',
    tasks: [task(member(2)), task(member(3), 'RUNNING', 'STOPPED')],
    expect: [
      ['MemberNotRunning', member(1)],
      ['MemberNotRunning', member(3)],
    ],
  },
  {
    name: 'secondaries below their count',
    secondaries: 2,
    tasks: [...allPrimaries, task(`${NAME}-secondaries`)],
    neo4j: neo4jUp,
    expect: [['SecondariesNotRunning']],
  },
  {
    name: 'tasks run but nobody answers over Bolt',
    tasks: allPrimaries,
    expect: [['MembersUnreachable']],
  },
  {
    name: 'a database without a leader',
    tasks: allPrimaries,
    neo4j: { ...neo4jUp, databasesWithLeader: 1 },
    expect: [['DatabaseWithoutLeader']],
  },
  {
    name: 'one member unreachable, leaders elsewhere',
    tasks: allPrimaries,
    neo4j: { ...neo4jUp, membersUp: 2, unreachable: ['127.0.1.3:7687'] },
    expect: [['MembersUnreachable']],
  },
  {
    name: 'Neo4j not observed at all (no credentials reader): tasks decide',
    tasks: allPrimaries,
    neo4jObserved: false,
    expect: [],
  },
];

describe('planReadiness', () => {
  it.each(cases)('$name', (c) => {
    const desired = cluster((spec) => {
      if (c.secondaries !== undefined) {
        spec['secondaries'] = { count: c.secondaries };
        (spec['capacity'] as Record<string, unknown>)['secondaryAutoScalingGroup'] =
          'neo4j-minimal-secondaries';
      }
    });
    const holds = planReadiness(
      desired,
      { tasks: c.tasks, ...(c.neo4j ? { neo4j: c.neo4j } : {}) },
      { neo4jObserved: c.neo4jObserved ?? true },
    );
    expect(holds.map((h) => (h.member ? [h.reason, h.member] : [h.reason]))).toEqual(c.expect);
    for (const h of holds) {
      expect(h.kind).toBe('wait');
      expect(h.message.length).toBeGreaterThan(0);
      expect(h.requeueAfterMs).toBeGreaterThan(0);
    }
  });
});
