/**
 * The roll planner (docs/roll.md), pure: `planRoll(desired, observed, progress)` → ordered steps and
 * a view of the whole roll for status and `neo4j-ecs diff`.
 *
 * A roll is a difference between the task definition a member's service runs and the one the spec
 * asks for (image/version, neo4j.conf, resources, secret, restart token). It goes:
 * 1. the secondaries first: their service rolls through ECS within min/max from
 *    maxUnavailableSecondaries (the services planner updates it); the primaries wait
 *    (`SecondariesRolling`) until that deployment COMPLETED and every secondary runs the new revision,
 *    Available, caught up, on the spec's version;
 * 2. then the primaries one at a time, fewest leaderships first, the one hosting the most (the system
 *    leader breaking ties) last, then fewest transactions behind, then name. A member already
 *    read-only (leaderships being moved off it) stays the candidate, so the order is stable while its
 *    leaderships move.
 * Before each step: not paused (`RollPaused`), Neo4j's gate (`clusterGate`), a majority of every
 * database's primaries up without the candidate (`QuorumAtRisk`), approval in supervised mode when
 * the candidate hosts leaderships (`AwaitingApproval`), `pauseBetweenSteps` since the last step
 * settled (`PauseBetweenSteps`); then the leadership move (`planLeadershipMove`), then `RestartMember`
 * (UpdateService of that member's service to the new revision: min 0 / max 100 and the memberOf
 * constraint make ECS stop the old task and start the new one on the same instance and volume).
 * After each step (`MemberRestarting`): the member runs the new revision, is Enabled, Available,
 * caught up and reports the spec's version, before anything else happens.
 *
 * Everything is derived from the world: which members run the target revision, their leaderships,
 * their read-only flag, their versions, the approval tag on their service. Only the leadership-transfer
 * timer and the pause between steps are measured by the caller (in memory; a restarted controller
 * starts them again, which only makes it wait longer).
 */
import type { Neo4jCluster } from '../../model/cluster.js';
import type { ObservedCluster, ObservedService, ObservedTask } from '../../model/observed.js';
import type { LeadershipChange, RollStatus, RollStepStatus } from '../../model/status.js';
import { TAGS } from '../../model/observed.js';
import { primaryPlacement, secondaryServiceName } from '../../model/placement.js';
import { parseDuration } from '../../model/quantities.js';
import { compareVersions, parseVersion } from '../../model/version.js';
import {
  clusterGate,
  isLocated,
  LEADERSHIP_RECHECK_MS,
  leadershipsOf,
  memberServer,
  planClearReadOnly,
  planLeadershipMove,
  quorumWithout,
  runningTasks,
  SYSTEM_DATABASE,
  taskServer,
} from '../leadership.js';
import type { LeadershipAction } from '../leadership.js';
import { desiredTaskDefinitions, sameContent } from '../topology/task-definitions.js';
import type { Action, Hold, Step } from '../types.js';
import type { RestartPart } from './needs-restart.js';
import { restartParts } from './needs-restart.js';

export interface RestartMember extends Action {
  type: 'RestartMember';
  member: string;
  /** The member's ECS service. */
  service: string;
  /** The task definition ARN to update the service to. */
  taskDefinition: string;
}

export type RollAction = RestartMember | LeadershipAction;

export interface RollProgress {
  /** Since the roll first saw read-only set on a member it is moving leaderships off, by member. */
  transferElapsedMs?: Record<string, number>;
  /** Since the roll first saw no step in flight after a step (undefined: not measured yet). */
  settledForMs?: number;
  /** Content of a task-definition revision by ARN, when known (to name what changed). */
  contentOf?: (arn: string) => unknown;
  /** Members the drain is working on (their read-only flag is the drain's, not a leftover). */
  leaving?: ReadonlySet<string>;
}

export type RollView = RollStatus;

export interface RollPlan {
  steps: Step<RollAction>[];
  view: RollView;
}

type Obs = Pick<ObservedCluster, 'services' | 'tasks' | 'neo4j' | 'topology' | 'volumes'>;

const wait = (reason: string, message: string, member?: string): Hold => ({
  kind: 'wait',
  reason,
  message,
  ...(member !== undefined ? { member } : {}),
  requeueAfterMs: LEADERSHIP_RECHECK_MS,
});
const block = (reason: string, message: string, member?: string): Hold => ({
  ...wait(reason, message, member),
  kind: 'blocked',
});

interface MemberState {
  member: string;
  service?: ObservedService;
  target?: string;
  /** pending: runs an older revision; restarting: updated, not back yet; done; outside: not the roll's (no task, or no target yet). */
  state: 'pending' | 'restarting' | 'done' | 'outside';
  /** Why it is not back yet (restarting). */
  notBack?: string;
  /** Restarting and its task does not run the new revision yet (the restart itself is in flight). */
  inFlight?: boolean;
  changes: RestartPart[];
  leads: string[];
  readOnly: boolean;
  txBehind: number;
}

function serviceOf(observed: Obs, name: string): ObservedService | undefined {
  return observed.services[name] ?? observed.topology?.services?.[name];
}

/** Whether the member behind `task` is back: Enabled, Available, caught up, on `version`; else why not. */
function memberBack(observed: Obs, task: ObservedTask, version: string): string | undefined {
  const at = taskServer(observed, task);
  if (!isLocated(at)) return at.why;
  if (at.view.serverState !== 'Enabled' || at.view.health !== 'Available')
    return `its server is ${at.view.serverState ?? 'unknown'} and ${at.view.health ?? 'of unknown health'}`;
  if (at.view.caughtUp !== true) return 'it is not caught up yet';
  const want = parseVersion(version);
  const have = at.view.version !== undefined ? parseVersion(at.view.version) : undefined;
  if (!want || !have || compareVersions(want, have) !== 0)
    return `it reports version ${at.view.version ?? 'unknown'}, the spec asks for ${version}`;
  return undefined;
}

function primaryState(
  desired: Neo4jCluster,
  observed: Obs,
  member: string,
  target: string | undefined,
  progress: RollProgress,
): MemberState {
  const service = serviceOf(observed, member);
  const at = memberServer(observed, member);
  const base = {
    member,
    ...(service ? { service } : {}),
    ...(target !== undefined ? { target } : {}),
    leads: isLocated(at) ? leadershipsOf(observed, at.serverId) : [],
    readOnly: isLocated(at) && at.view.readOnly === true,
    txBehind: isLocated(at) ? (at.view.txBehind ?? 0) : 0,
    changes: [] as RestartPart[],
  };
  if (!service || target === undefined) return { ...base, state: 'outside' };
  const live = observed.tasks.filter((t) => t.group === `service:${member}` && t.desiredStatus === 'RUNNING');
  if (service.taskDefinition !== target) {
    if (live.length === 0) return { ...base, state: 'outside' };
    const wanted = observed.topology?.taskDefinitions[member]?.content;
    return {
      ...base,
      state: 'pending',
      changes: restartParts(progress.contentOf?.(service.taskDefinition), wanted),
    };
  }
  const running = runningTasks(observed, member);
  const onTarget = running.filter((t) => t.taskDefinitionArn === target);
  const inFlight =
    onTarget.length === 0 || live.length !== 1 || running.some((t) => t.taskDefinitionArn !== target);
  const notBack = inFlight
    ? live.length === 0
      ? 'its new task has not started yet'
      : running.some((t) => t.taskDefinitionArn !== target)
        ? 'its old task still runs'
        : `its task is ${live[0]?.lastStatus ?? 'starting'} on the new revision`
    : memberBack(observed, onTarget[0] as ObservedTask, desired.spec.neo4j.version);
  return notBack === undefined
    ? { ...base, state: 'done' }
    : { ...base, state: 'restarting', notBack, inFlight };
}

interface SecondariesState {
  service: string;
  count: number;
  /** The secondaries' revision differs or their deployment is not finished. */
  rolling: boolean;
  /** Why they are not all back (on the target, Available, caught up, on the version). */
  notBack?: string;
  changes: RestartPart[];
}

function secondariesState(
  desired: Neo4jCluster,
  observed: Obs,
  target: string | undefined,
  progress: RollProgress,
): SecondariesState | undefined {
  const name = secondaryServiceName(desired.metadata.name);
  const count = desired.spec.secondaries.count;
  const service = serviceOf(observed, name);
  if (count === 0 || !service || target === undefined) return undefined;
  const live = observed.tasks.filter((t) => t.group === `service:${name}` && t.desiredStatus === 'RUNNING');
  const wanted = observed.topology?.taskDefinitions[name]?.content;
  const changes =
    service.taskDefinition !== target
      ? restartParts(progress.contentOf?.(service.taskDefinition), wanted)
      : [];
  const offTarget = live.filter((t) => t.taskDefinitionArn !== target).length;
  const rolling =
    service.taskDefinition !== target ||
    offTarget > 0 ||
    service.rolloutState === 'IN_PROGRESS' ||
    service.deployments > 1;
  const running = runningTasks(observed, name);
  const stale = (observed.neo4j?.servers ?? []).filter(
    (x) => x.modeConstraint === 'SECONDARY' && x.health === 'Unavailable' && x.state !== 'Dropped',
  );
  let notBack: string | undefined;
  if (rolling)
    notBack = `${live.length - offTarget} of ${count} secondaries run the new revision${service.rolloutState ? ` (deployment ${service.rolloutState})` : ''}`;
  else if (running.length < count) notBack = `${running.length} of ${count} secondaries are running`;
  else if (stale.length > 0)
    notBack = `replaced secondaries still in the cluster (Unavailable): ${stale.map((x) => `${x.id} (${x.state})`).join(', ')}; they are deallocated and dropped first`;
  else
    for (const t of running) {
      const why = memberBack(observed, t, desired.spec.neo4j.version);
      if (why !== undefined) {
        notBack = `the secondary at ${t.address ?? t.taskArn}: ${why}`;
        break;
      }
    }
  return { service: name, count, rolling, ...(notBack !== undefined ? { notBack } : {}), changes };
}

/** Fewest leaderships first; most (system leader breaking ties) last; then fewest transactions behind; then name. */
function byOrder(a: MemberState, b: MemberState): number {
  const weight = (m: MemberState): number => m.leads.length * 2 + (m.leads.includes(SYSTEM_DATABASE) ? 1 : 0);
  return weight(a) - weight(b) || a.txBehind - b.txBehind || (a.member < b.member ? -1 : 1);
}

/** The ARN of the newest ACTIVE revision of each family when it has the content the spec asks for. */
export function targetRevisions(desired: Neo4jCluster, observed: Obs): Map<string, string> {
  const out = new Map<string, string>();
  for (const [family, def] of desiredTaskDefinitions(desired, observed)) {
    const td = observed.topology?.taskDefinitions[family];
    if (td && sameContent(td.content, def)) out.set(family, td.arn);
  }
  return out;
}

function describeChanges(changes: RestartPart[]): string {
  return changes.length > 0 ? ` [${changes.join(', ')}]` : '';
}

export function planRoll(desired: Neo4jCluster, observed: Obs, progress: RollProgress = {}): RollPlan {
  const targets = targetRevisions(desired, observed);
  const upgrade = desired.spec.upgrade;
  const primaries = primaryPlacement(desired).map((s) =>
    primaryState(desired, observed, s.member, targets.get(s.member), progress),
  );
  const sec = secondariesState(
    desired,
    observed,
    targets.get(secondaryServiceName(desired.metadata.name)),
    progress,
  );
  const pending = primaries.filter((m) => m.state === 'pending').sort(byOrder);
  const restarting = primaries.filter((m) => m.state === 'restarting');
  const done = primaries.filter((m) => m.state === 'done');
  const active = pending.length > 0 || (sec?.rolling ?? false) || restarting.some((m) => m.inFlight);
  // A member already read-only is the one whose leaderships are moving: it stays the candidate.
  const candidate = pending.find((m) => m.readOnly) ?? pending[0];
  const secCount = sec ? sec.count : 0;
  const total = secCount + primaries.filter((m) => m.state !== 'outside').length;

  const leaving = progress.leaving ?? new Set<string>();
  const keep = new Set([...leaving, ...(candidate ? [candidate.member] : [])]);
  const steps: Step<RollAction>[] = planClearReadOnly(
    observed,
    primaries.map((m) => m.member),
    keep,
  );

  const expected: LeadershipChange[] = pending.flatMap((m) =>
    m.leads.map((database) => ({
      database,
      member: m.member,
      how:
        database !== SYSTEM_DATABASE && upgrade.leadershipTransfer
          ? ('transfer' as const)
          : ('election' as const),
    })),
  );
  const viewSteps: RollStepStatus[] = [];
  if (sec)
    viewSteps.push({
      position: 1,
      member: sec.service,
      role: 'secondaries',
      state: sec.rolling ? 'restarting' : 'done',
      leads: [],
      changes: sec.changes,
    });
  let position = secCount;
  const orderedPrimaries = [
    ...done.sort((a, b) => (a.member < b.member ? -1 : 1)),
    ...restarting,
    ...pending.filter((m) => m === candidate),
    ...pending.filter((m) => m !== candidate),
  ];
  for (const m of orderedPrimaries)
    viewSteps.push({
      position: ++position,
      member: m.member,
      role: 'primary',
      state:
        m.state === 'pending' ? (m === candidate ? 'next' : 'pending') : (m.state as 'done' | 'restarting'),
      leads: m.leads,
      changes: m.changes,
    });
  const view: RollView = { active, total, steps: viewSteps, expectedLeadershipChanges: expected };
  const finish = (holds: Hold[], more: Step<RollAction>[] = []): RollPlan => {
    const all = [...steps, ...more, ...holds];
    const first = all.find((s): s is Hold => s.kind !== 'act');
    if (first) view.waiting = { reason: first.reason, message: first.message };
    return { steps: all, view };
  };

  if (!active) return finish([]);
  const stepNo = (m: MemberState): number => viewSteps.find((v) => v.member === m.member)?.position ?? 0;

  // After each step: the restarted member must be back before anything else.
  const back = restarting[0];
  if (back) {
    view.current = `Rolling ${stepNo(back)}/${total}: ${back.member} is restarting`;
    return finish([
      wait('MemberRestarting', `${view.current}: ${back.notBack ?? 'not back yet'}`, back.member),
    ]);
  }
  if (sec?.rolling) {
    view.current = `Rolling 1-${secCount}/${total}: the secondaries roll through ECS`;
    return finish([
      wait(
        'SecondariesRolling',
        `the secondaries roll first (within maxUnavailableSecondaries ${upgrade.maxUnavailableSecondaries}): ${sec.notBack ?? 'deploying'}`,
      ),
    ]);
  }
  if (!candidate) return finish([]);
  const n = stepNo(candidate);
  view.current = `Rolling ${n}/${total}: next ${candidate.member} (hosts leaderships: ${candidate.leads.join(', ') || 'none'})`;

  if (upgrade.paused)
    return finish([
      block(
        'RollPaused',
        `the roll is paused (spec.upgrade.paused) before step ${n}/${total}, ${candidate.member}; set paused: false to resume`,
        candidate.member,
      ),
    ]);
  // The secondaries' state is part of the previous step: a wait, before Neo4j's gate.
  if (sec?.notBack !== undefined && observed.neo4j?.members !== undefined)
    return finish([
      wait(
        'SecondariesNotReady',
        `the primaries wait for the secondaries to be back, Available and caught up: ${sec.notBack}`,
      ),
    ]);
  const gate = clusterGate(observed);
  if (gate.length > 0)
    return finish([
      block(
        (gate[0] as Hold).reason,
        `the roll waits before ${candidate.member} (step ${n}/${total}): ${gate.map((h) => h.message).join('; ')}`,
        candidate.member,
      ),
    ]);
  const at = memberServer(observed, candidate.member);
  if (!isLocated(at))
    return finish([wait('MemberNotObserved', `${candidate.member}: ${at.why}`, candidate.member)]);
  const quorum = quorumWithout(observed, at.serverId);
  if (!quorum.ok)
    return finish([
      block(
        'QuorumAtRisk',
        `stopping ${candidate.member} would leave ${quorum.atRisk.join(', ')} without a majority of primaries: waiting`,
        candidate.member,
      ),
    ]);
  const approved = candidate.service?.tags?.[TAGS.rollApproved] === candidate.target;
  if (upgrade.supervised && (candidate.leads.length > 0 || candidate.readOnly) && !approved)
    return finish([
      block(
        'AwaitingApproval',
        `supervised roll: ${candidate.member} hosts leaderships (${candidate.leads.join(', ') || 'being moved'}); run \`neo4j-ecs approve ${desired.metadata.name} --ecs-cluster ${desired.spec.ecs.cluster}\` to restart it`,
        candidate.member,
      ),
    ]);
  if (done.length > 0 || sec !== undefined) {
    const pauseMs = parseDurationMs(upgrade.pauseBetweenSteps);
    const settled = progress.settledForMs ?? 0;
    if (settled < pauseMs)
      return finish([
        {
          ...wait(
            'PauseBetweenSteps',
            `pausing ${upgrade.pauseBetweenSteps} between steps (spec.upgrade.pauseBetweenSteps) before ${candidate.member}`,
            candidate.member,
          ),
          requeueAfterMs: Math.max(1, Math.min(LEADERSHIP_RECHECK_MS, pauseMs - settled)),
        },
      ]);
  }
  const move = planLeadershipMove(observed, candidate.member, {
    allowed: upgrade.leadershipTransfer,
    transferTimeoutMs: parseDurationMs(upgrade.leadershipTransferTimeout),
    elapsedMs: progress.transferElapsedMs?.[candidate.member] ?? 0,
  });
  if (!move.ready) return finish([], move.steps);
  view.current = `Rolling ${n}/${total}: restarting ${candidate.member} (${move.note})`;
  const restart: RestartMember = {
    kind: 'act',
    type: 'RestartMember',
    reason: 'RollingRestart',
    message: `${view.current}${describeChanges(candidate.changes)}`,
    member: candidate.member,
    service: candidate.member,
    taskDefinition: candidate.target as string,
  };
  return finish([], [...move.steps, restart]);
}

const parseDurationMs = (text: string): number => parseDuration(text) ?? 0;
