import {
  evaluateQuery,
  parseQuery,
  QueryError,
  type QueryTarget,
} from '../../../../twin/aws/services/compute/ecs/query.js';

const target: QueryTarget = {
  attributes: {
    'ecs.availability-zone': 'us-east-1a',
    'ecs.instance-type': 'r6i.large',
    'neo4j.member': 'core-2',
    'neo4j.slot': '3',
    flag: '',
  },
  ec2InstanceId: 'i-0123456789abcdef0',
  agentConnected: true,
  agentVersion: '1.89.0',
  registeredAt: Date.UTC(2026, 0, 1),
  taskGroups: ['service:core-1'],
};

describe('ECS cluster query language', () => {
  it.each([
    ['attribute:ecs.availability-zone == us-east-1a', true],
    ['attribute:ecs.availability-zone==us-east-1b', false],
    ['attribute:ecs.availability-zone equals us-east-1a', true],
    ['attribute:ecs.availability-zone != us-east-1b', true],
    ['attribute:ecs.availability-zone in [us-east-1b, us-east-1a]', true],
    ['attribute:ecs.availability-zone not_in [us-east-1b]', true],
    ['attribute:ecs.availability-zone !in [us-east-1a]', false],
    ['attribute:neo4j.member == core-2 and attribute:ecs.availability-zone == us-east-1a', true],
    ['attribute:neo4j.member == core-1 || attribute:neo4j.member == core-2', true],
    ['not (attribute:neo4j.member == core-2)', false],
    ['!(attribute:neo4j.member == core-1) && agentConnected == true', true],
    ['attribute:ecs.instance-type =~ r6i\\..*', true],
    ['attribute:ecs.instance-type == r6i.*', true],
    ['attribute:ecs.instance-type !~ t3.*', true],
    ['attribute:neo4j.slot >= 3', true],
    ['attribute:neo4j.slot > 10', false],
    ['attribute:flag exists', true],
    ['attribute:missing exists', false],
    ['attribute:missing !exists', true],
    ['attribute:missing == x', false],
    ['attribute:missing != x', true],
    ['ec2InstanceId == i-0123456789abcdef0', true],
    ['task:group == service:core-1', true],
    ['attribute:neo4j.member == "core-2"', true],
  ])('%s → %s', (expr, expected) => {
    expect(evaluateQuery(expr, target)).toBe(expected);
  });

  it.each([
    '',
    'attribute:x ==',
    'attribute:x === y',
    'bogus == 1',
    '(attribute:x == y',
    'attribute:x in [a, b',
    'attribute:x == y extra',
  ])('rejects %p with a QueryError', (expr) => {
    expect(() => parseQuery(expr)).toThrow(QueryError);
  });
});
