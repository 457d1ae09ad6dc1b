/**
 * Twin setup for the controller's AWS tests: a twin whose clock runs in real time from now (events
 * and metrics carry wall-clock timestamps, which CloudWatch checks against its own now), and
 * production clients (src/aws/clients.ts) pointed at it, one set per controller.
 */
import { VirtualClock } from '../../twin/core/clock.js';
import { startTestTwin } from '../helpers/twin.js';
import type { AwsTwin } from '../helpers/twin.js';
import type { CallCounter } from '../../src/aws/call-counter.js';
import type { AwsClients } from '../../src/aws/clients.js';
import { createAwsClients } from '../../src/aws/clients.js';

export type { AwsTwin } from '../helpers/twin.js';

export function startRealTimeTwin(): Promise<AwsTwin> {
  return startTestTwin({ clock: new VirtualClock({ start: Date.now(), timeScale: 1 }) });
}

export function clientsFor(
  twin: AwsTwin,
  opts: { counter?: CallCounter; maxAttempts?: number } = {},
): AwsClients {
  return createAwsClients({
    ...(opts.counter ? { counter: opts.counter } : {}),
    overrides: {
      endpoint: twin.endpoint,
      region: twin.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts } : {}),
    },
  });
}
