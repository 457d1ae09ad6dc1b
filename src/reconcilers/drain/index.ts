/** The drain (docs/drain.md): pure planning of instances waiting on the operator's lifecycle hook. */
export { holdingsOf, holdsNothing, isActive, isTerminating } from './holdings.js';
export type { Holdings } from './holdings.js';
export { drainingMembers, MAX_GLOBAL_TIMEOUT_MS, planDrain, URGENT_TRANSFER_MS } from './plan.js';
export type {
  CompleteLifecycleAction,
  DrainAction,
  DrainInput,
  DrainPlan,
  DrainView,
  HookTrack,
  RecordLifecycleActionHeartbeat,
  UpdateContainerInstancesState,
} from './plan.js';
