/**
 * Every delay and limit of the compute simulation (EC2, EBS, Auto Scaling, ECS), in virtual
 * milliseconds unless the name says otherwise. The defaults are realistic orders of magnitude for
 * AWS; tests and the demo scale them through the clock's time scale or override them here.
 */
export interface ComputeParams {
  /** EC2 instance pending → running. */
  instanceBootMs: number;
  /** Instance running → ECS agent registered as a container instance. */
  agentRegistrationMs: number;
  /** EC2 instance shutting-down → terminated. */
  instanceTerminateMs: number;
  /** EC2 instance stopping → stopped. */
  instanceStopMs: number;
  /** How long a terminated instance stays visible in DescribeInstances. */
  terminatedInstanceRetentionMs: number;
  /** EBS volume creating → available. */
  volumeCreateMs: number;
  /** EBS attachment attaching → attached. */
  volumeAttachMs: number;
  /** EBS attachment detaching → detached (volume in-use → available). */
  volumeDetachMs: number;
  /** EBS volume deleting → gone. */
  volumeDeleteMs: number;
  /** EBS snapshot pending → completed. */
  snapshotMs: number;
  /** ModifyVolume modifying → optimizing → completed. */
  volumeModifyMs: number;
  /** Minimum wait between two ModifyVolume calls on one volume (AWS: 6 hours). */
  volumeModificationCooldownMs: number;
  /** Auto Scaling reconcile loop period. */
  asgReconcileIntervalMs: number;
  /** Spot interruption notice period before the instance is reclaimed (AWS gives 2 minutes). */
  spotNoticeMs: number;
  /** ECS task PROVISIONING → PENDING. */
  taskProvisionMs: number;
  /** ECS task PENDING → RUNNING (image pull and container start). */
  taskStartMs: number;
  /** ECS task container stop: stop signal → containers exited (the stopTimeout default is 30 s). */
  taskStopMs: number;
  /** ECS task DEPROVISIONING → STOPPED. */
  taskDeprovisionMs: number;
  /** How long a STOPPED task stays visible in DescribeTasks/ListTasks (ECS: at least 1 hour). */
  stoppedTaskRetentionMs: number;
  /** ECS service scheduler loop period. */
  schedulerIntervalMs: number;
  /**
   * A service task whose essential containers have no health check counts as healthy (for the
   * deployment's minimumHealthyPercent) this long after reaching RUNNING (ECS: 40 s).
   */
  taskHealthyWithoutCheckMs: number;
  /** Maximum service events kept per service (ECS keeps the most recent 100). */
  maxServiceEvents: number;
  /** Same service event message is not repeated more often than this (ECS throttles repeats). */
  serviceEventRepeatMs: number;
  /** How long a deregistered (INACTIVE) container instance stays visible. */
  inactiveContainerInstanceRetentionMs: number;
}

export const DEFAULT_COMPUTE_PARAMS: ComputeParams = Object.freeze({
  instanceBootMs: 30_000,
  agentRegistrationMs: 20_000,
  instanceTerminateMs: 30_000,
  instanceStopMs: 30_000,
  terminatedInstanceRetentionMs: 3_600_000,
  volumeCreateMs: 5_000,
  volumeAttachMs: 5_000,
  volumeDetachMs: 5_000,
  volumeDeleteMs: 2_000,
  snapshotMs: 30_000,
  volumeModifyMs: 60_000,
  volumeModificationCooldownMs: 21_600_000,
  asgReconcileIntervalMs: 10_000,
  spotNoticeMs: 120_000,
  taskProvisionMs: 2_000,
  taskStartMs: 15_000,
  taskStopMs: 5_000,
  taskDeprovisionMs: 2_000,
  stoppedTaskRetentionMs: 3_600_000,
  schedulerIntervalMs: 5_000,
  taskHealthyWithoutCheckMs: 40_000,
  maxServiceEvents: 100,
  serviceEventRepeatMs: 60_000,
  inactiveContainerInstanceRetentionMs: 3_600_000,
});
