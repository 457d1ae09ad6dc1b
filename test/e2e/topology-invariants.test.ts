/** The world-log invariant checker of the e2e tests catches each violation it claims to (and passes a clean run). */
import { WorldLog } from '../../twin/core/world-log.js';
import { topologyViolations } from './helpers.js';

const M = 'c-primary-1';
const vol = (az: string, member = M) => ({ volumeId: 'vol-1', az, tags: { 'neo4j-ecs:member': member } });

function log(build: (w: WorldLog) => void): { world: WorldLog } {
  let t = 0;
  const w = new WorldLog(() => ++t);
  build(w);
  return { world: w };
}

const started = (w: WorldLog, task: string, az: string, volumes: unknown[]) =>
  w.append('ecs.task.started', { taskArn: task, group: `service:${M}`, az, volumes });
const stopped = (w: WorldLog, task: string) =>
  w.append('ecs.task.state', { taskArn: task, from: 'RUNNING', to: 'STOPPED' });
const member = (w: WorldLog, storeEmpty: boolean) =>
  w.append('neo4j.member.started', { member: M, storeEmpty });

describe('topologyViolations', () => {
  it('passes a clean run: start, stop, restart on the same volume with data', () => {
    const run = log((w) => {
      w.append('ebs.attachment.state', {
        volumeId: 'vol-1',
        to: 'attached',
        az: 'us-east-1a',
        instanceAz: 'us-east-1a',
      });
      started(w, 't1', 'us-east-1a', [vol('us-east-1a')]);
      member(w, true);
      stopped(w, 't1');
      started(w, 't2', 'us-east-1a', [vol('us-east-1a')]);
      member(w, false);
    });
    expect(topologyViolations(run, 'c')).toEqual([]);
  });

  it('reports a cross-AZ attachment, a start without the own volume, two live tasks, and an empty store after data', () => {
    const run = log((w) => {
      w.append('ebs.attachment.state', {
        volumeId: 'vol-1',
        to: 'attached',
        az: 'us-east-1a',
        instanceAz: 'us-east-1b',
      });
      started(w, 't1', 'us-east-1a', [vol('us-east-1a')]);
      member(w, true);
      started(w, 't2', 'us-east-1a', [vol('us-east-1a', 'c-primary-2')]);
      member(w, true);
    });
    const v = topologyViolations(run, 'c');
    expect(v).toHaveLength(4);
    expect(v[0]).toContain('attached in "us-east-1b"');
    expect(v[1]).toContain('started without its volume');
    expect(v[2]).toContain('still live');
    expect(v[3]).toContain('empty store');
  });
});
