/** Executor: creates a CloudWatch Logs group with the operator's tags (one action, no decisions). */
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';

export async function createLogGroup(
  logs: CloudWatchLogsClient,
  name: string,
  tags: Record<string, string>,
  signal?: AbortSignal,
): Promise<'created' | 'exists'> {
  try {
    await logs.send(
      new CreateLogGroupCommand({ logGroupName: name, tags }),
      signal ? { abortSignal: signal } : {},
    );
    return 'created';
  } catch (e) {
    if ((e as { name?: string }).name === 'ResourceAlreadyExistsException') return 'exists';
    throw e;
  }
}
