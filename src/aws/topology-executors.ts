/**
 * Thin executors of the topology actions: one AWS call each, no decisions (the planners in
 * src/reconcilers/topology decide). Inputs are the planners' action payloads.
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import {
  CompleteLifecycleActionCommand,
  PutLifecycleHookCommand,
  RecordLifecycleActionHeartbeatCommand,
  SetInstanceProtectionCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import type { EC2Client, VolumeType } from '@aws-sdk/client-ec2';
import {
  AttachVolumeCommand,
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DetachVolumeCommand,
  ModifyVolumeCommand,
} from '@aws-sdk/client-ec2';
import type { ECSClient, RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import {
  CreateServiceCommand,
  DeleteAttributesCommand,
  PutAttributesCommand,
  RegisterTaskDefinitionCommand,
  UpdateContainerInstancesStateCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';

type Opt = { abortSignal?: AbortSignal };
const o = (signal?: AbortSignal): Opt => (signal ? { abortSignal: signal } : {});
const tagList = (tags: Record<string, string>) =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
const ecsTags = (tags: Record<string, string>) =>
  Object.entries(tags).map(([key, value]) => ({ key, value }));

export interface VolumeRequest {
  zone: string;
  sizeGiB: number;
  volumeType: string;
  iops?: number;
  throughput?: number;
  encrypted: boolean;
  kmsKeyId?: string;
  snapshotId?: string;
  tags: Record<string, string>;
}

export async function createVolume(ec2: EC2Client, r: VolumeRequest, signal?: AbortSignal): Promise<string> {
  const res = await ec2.send(
    new CreateVolumeCommand({
      AvailabilityZone: r.zone,
      Size: r.sizeGiB,
      VolumeType: r.volumeType as VolumeType,
      ...(r.iops !== undefined ? { Iops: r.iops } : {}),
      ...(r.throughput !== undefined ? { Throughput: r.throughput } : {}),
      Encrypted: r.encrypted,
      ...(r.kmsKeyId !== undefined ? { KmsKeyId: r.kmsKeyId } : {}),
      ...(r.snapshotId !== undefined ? { SnapshotId: r.snapshotId } : {}),
      TagSpecifications: [{ ResourceType: 'volume', Tags: tagList(r.tags) }],
    }),
    o(signal),
  );
  return res.VolumeId ?? '';
}

export async function modifyVolume(
  ec2: EC2Client,
  r: { volumeId: string; sizeGiB?: number; iops?: number; throughput?: number },
  signal?: AbortSignal,
): Promise<void> {
  await ec2.send(
    new ModifyVolumeCommand({
      VolumeId: r.volumeId,
      ...(r.sizeGiB !== undefined ? { Size: r.sizeGiB } : {}),
      ...(r.iops !== undefined ? { Iops: r.iops } : {}),
      ...(r.throughput !== undefined ? { Throughput: r.throughput } : {}),
    }),
    o(signal),
  );
}

export async function deleteVolume(ec2: EC2Client, volumeId: string, signal?: AbortSignal): Promise<void> {
  await ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId }), o(signal));
}

export async function attachVolume(
  ec2: EC2Client,
  r: { volumeId: string; instanceId: string; device: string },
  signal?: AbortSignal,
): Promise<void> {
  await ec2.send(
    new AttachVolumeCommand({ VolumeId: r.volumeId, InstanceId: r.instanceId, Device: r.device }),
    o(signal),
  );
}

export async function detachVolume(
  ec2: EC2Client,
  r: { volumeId: string; instanceId: string; force: boolean },
  signal?: AbortSignal,
): Promise<void> {
  await ec2.send(
    new DetachVolumeCommand({ VolumeId: r.volumeId, InstanceId: r.instanceId, Force: r.force }),
    o(signal),
  );
}

export async function putAttribute(
  ecs: ECSClient,
  cluster: string,
  r: { containerInstanceArn: string; attribute: string; value: string },
  signal?: AbortSignal,
): Promise<void> {
  await ecs.send(
    new PutAttributesCommand({
      cluster,
      attributes: [
        {
          name: r.attribute,
          value: r.value,
          targetType: 'container-instance',
          targetId: r.containerInstanceArn,
        },
      ],
    }),
    o(signal),
  );
}

export async function deleteAttribute(
  ecs: ECSClient,
  cluster: string,
  r: { containerInstanceArn: string; attribute: string },
  signal?: AbortSignal,
): Promise<void> {
  await ecs.send(
    new DeleteAttributesCommand({
      cluster,
      attributes: [{ name: r.attribute, targetType: 'container-instance', targetId: r.containerInstanceArn }],
    }),
    o(signal),
  );
}

export async function registerTaskDefinition(
  ecs: ECSClient,
  definition: RegisterTaskDefinitionCommandInput,
  tags: Record<string, string>,
  signal?: AbortSignal,
): Promise<string> {
  const res = await ecs.send(
    new RegisterTaskDefinitionCommand({ ...definition, tags: ecsTags(tags) }),
    o(signal),
  );
  return res.taskDefinition?.taskDefinitionArn ?? '';
}

export interface ServiceRequest {
  taskDefinition?: string;
  desiredCount?: number;
  placementConstraints?: { type: 'memberOf'; expression: string }[];
  placementStrategy?: { type: 'spread'; field: string }[];
  deploymentConfiguration?: { minimumHealthyPercent: number; maximumPercent: number };
  /** awsvpc subnets; sent with the security groups (UpdateService replaces the configuration whole). */
  subnets?: string[];
  /** awsvpc security groups. */
  securityGroups?: string[];
  /** The Cloud Map service the tasks register in. */
  registryArn?: string;
}

/** The awsvpc configuration of a member service: no public IP. */
function awsvpc(subnets: readonly string[], securityGroups: readonly string[]) {
  return {
    awsvpcConfiguration: {
      subnets: [...subnets],
      ...(securityGroups.length > 0 ? { securityGroups: [...securityGroups] } : {}),
      assignPublicIp: 'DISABLED' as const,
    },
  };
}

export async function createService(
  ecs: ECSClient,
  cluster: string,
  name: string,
  s: Required<ServiceRequest>,
  tags: Record<string, string>,
  signal?: AbortSignal,
): Promise<void> {
  await ecs.send(
    new CreateServiceCommand({
      cluster,
      serviceName: name,
      taskDefinition: s.taskDefinition,
      desiredCount: s.desiredCount,
      launchType: 'EC2',
      schedulingStrategy: 'REPLICA',
      placementConstraints: s.placementConstraints,
      ...(s.placementStrategy.length > 0 ? { placementStrategy: s.placementStrategy } : {}),
      deploymentConfiguration: s.deploymentConfiguration,
      ...(s.subnets.length > 0 || s.securityGroups.length > 0
        ? { networkConfiguration: awsvpc(s.subnets, s.securityGroups) }
        : {}),
      serviceRegistries: [{ registryArn: s.registryArn }],
      availabilityZoneRebalancing: 'DISABLED',
      tags: ecsTags(tags),
    }),
    o(signal),
  );
}

export async function updateService(
  ecs: ECSClient,
  cluster: string,
  name: string,
  s: ServiceRequest,
  signal?: AbortSignal,
): Promise<void> {
  await ecs.send(
    new UpdateServiceCommand({
      cluster,
      service: name,
      ...(s.taskDefinition !== undefined ? { taskDefinition: s.taskDefinition } : {}),
      ...(s.desiredCount !== undefined ? { desiredCount: s.desiredCount } : {}),
      ...(s.placementConstraints !== undefined ? { placementConstraints: s.placementConstraints } : {}),
      ...(s.deploymentConfiguration !== undefined
        ? { deploymentConfiguration: s.deploymentConfiguration }
        : {}),
      ...(s.registryArn !== undefined ? { serviceRegistries: [{ registryArn: s.registryArn }] } : {}),
      // The awsvpc configuration is replaced whole: the planner sends the subnets with the groups.
      ...(s.securityGroups !== undefined
        ? { networkConfiguration: awsvpc(s.subnets ?? [], s.securityGroups) }
        : {}),
    }),
    o(signal),
  );
}

export async function updateAutoScalingGroup(
  autoscaling: AutoScalingClient,
  r: { autoScalingGroupName: string; minSize: number; maxSize: number; desiredCapacity: number },
  signal?: AbortSignal,
): Promise<void> {
  await autoscaling.send(
    new UpdateAutoScalingGroupCommand({
      AutoScalingGroupName: r.autoScalingGroupName,
      MinSize: r.minSize,
      MaxSize: r.maxSize,
      DesiredCapacity: r.desiredCapacity,
    }),
    o(signal),
  );
}

export async function setInstanceProtection(
  autoscaling: AutoScalingClient,
  r: { autoScalingGroupName: string; instanceIds: string[]; protectedFromScaleIn: boolean },
  signal?: AbortSignal,
): Promise<void> {
  await autoscaling.send(
    new SetInstanceProtectionCommand({
      AutoScalingGroupName: r.autoScalingGroupName,
      InstanceIds: r.instanceIds,
      ProtectedFromScaleIn: r.protectedFromScaleIn,
    }),
    o(signal),
  );
}

export async function putLifecycleHook(
  autoscaling: AutoScalingClient,
  r: {
    autoScalingGroupName: string;
    lifecycleHookName: string;
    heartbeatTimeout: number;
    defaultResult: string;
  },
  signal?: AbortSignal,
): Promise<void> {
  await autoscaling.send(
    new PutLifecycleHookCommand({
      AutoScalingGroupName: r.autoScalingGroupName,
      LifecycleHookName: r.lifecycleHookName,
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      HeartbeatTimeout: r.heartbeatTimeout,
      DefaultResult: r.defaultResult,
    }),
    o(signal),
  );
}

/** The lifecycle action of one instance waiting on a hook (polled: no token, so by instance id). */
export interface LifecycleActionRef {
  autoScalingGroupName: string;
  lifecycleHookName: string;
  instanceId: string;
}

export async function completeLifecycleAction(
  autoscaling: AutoScalingClient,
  r: LifecycleActionRef & { result: 'CONTINUE' | 'ABANDON' },
  signal?: AbortSignal,
): Promise<void> {
  await autoscaling.send(
    new CompleteLifecycleActionCommand({
      AutoScalingGroupName: r.autoScalingGroupName,
      LifecycleHookName: r.lifecycleHookName,
      InstanceId: r.instanceId,
      LifecycleActionResult: r.result,
    }),
    o(signal),
  );
}

export async function recordLifecycleActionHeartbeat(
  autoscaling: AutoScalingClient,
  r: LifecycleActionRef,
  signal?: AbortSignal,
): Promise<void> {
  await autoscaling.send(
    new RecordLifecycleActionHeartbeatCommand({
      AutoScalingGroupName: r.autoScalingGroupName,
      LifecycleHookName: r.lifecycleHookName,
      InstanceId: r.instanceId,
    }),
    o(signal),
  );
}

export async function updateContainerInstancesState(
  ecs: ECSClient,
  cluster: string,
  r: { containerInstanceArns: string[]; status: 'ACTIVE' | 'DRAINING' },
  signal?: AbortSignal,
): Promise<void> {
  const res = await ecs.send(
    new UpdateContainerInstancesStateCommand({
      cluster,
      containerInstances: r.containerInstanceArns,
      status: r.status,
    }),
    o(signal),
  );
  const failed = res.failures ?? [];
  if (failed.length > 0)
    throw new Error(
      `UpdateContainerInstancesState ${r.status}: ${failed.map((f) => `${f.arn ?? '?'} ${f.reason ?? ''}`).join('; ')}`,
    );
}
