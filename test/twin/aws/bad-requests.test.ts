/**
 * Every operation the twin serves, sent bad input in its own protocol (missing members, wrong types,
 * garbage), must answer a 4xx in that protocol's error format: never a 5xx, a crash or a hang.
 */
import { type AwsTwin, startTestTwin } from '../../helpers/twin.js';

let twin: AwsTwin;
const internal: unknown[] = [];

beforeAll(async () => {
  twin = await startTestTwin({
    onInternalError: (e, where) => internal.push({ where, e: e instanceof Error ? e.stack : e }),
  });
});
afterAll(() => twin.stop());

const TARGETS: Record<string, { prefix: string; version: string }> = {
  ecs: { prefix: 'AmazonEC2ContainerServiceV20141113', version: '1.1' },
  logs: { prefix: 'Logs_20140328', version: '1.1' },
  secretsmanager: { prefix: 'secretsmanager', version: '1.1' },
  servicediscovery: { prefix: 'Route53AutoNaming_v20170314', version: '1.1' },
  monitoring: { prefix: 'GraniteServiceVersion20100801', version: '1.0' },
};
const QUERY_VERSIONS: Record<string, string> = {
  autoscaling: '2011-01-01',
  ec2: '2016-11-15',
  monitoring: '2010-08-01',
};

interface Reply {
  status: number;
  text: string;
  headers: Headers;
}

async function send(service: string, operation: string, payload: 'empty' | 'wrong'): Promise<Reply> {
  const signal = AbortSignal.timeout(10_000);
  let r: Response;
  if (TARGETS[service]) {
    const t = TARGETS[service];
    const body =
      payload === 'empty'
        ? '{}'
        : JSON.stringify({
            name: 5,
            Name: [1],
            cluster: { a: 1 },
            logGroupName: 7,
            SecretId: true,
            Namespace: 9,
            MetricData: 'x',
            maxResults: 'many',
            Id: [1],
            ServiceId: 3,
            Attributes: 'x',
            Filters: 'y',
          });
    r = await fetch(`${twin.endpoint}/`, {
      method: 'POST',
      signal,
      headers: {
        'content-type': `application/x-amz-json-${t.version}`,
        'x-amz-target': `${t.prefix}.${operation}`,
      },
      body,
    });
  } else {
    const params = new URLSearchParams({ Action: operation, Version: QUERY_VERSIONS[service] as string });
    if (payload === 'wrong') {
      for (const k of [
        'MaxRecords',
        'MaxResults',
        'DesiredCapacity',
        'Size',
        'MinSize',
        'InstanceIds.member.1',
        'VolumeId.1',
        'Filter.1.Name',
      ])
        params.set(k, 'not-a-number?');
    }
    r = await fetch(`${twin.endpoint}/`, {
      method: 'POST',
      signal,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: params.toString(),
    });
  }
  return { status: r.status, text: await r.text(), headers: r.headers };
}

function expectProtocolError(service: string, reply: Reply): void {
  if (TARGETS[service]) {
    const body = JSON.parse(reply.text) as { __type?: string };
    expect(typeof body.__type).toBe('string');
    if (service === 'monitoring')
      expect(reply.headers.get('x-amzn-query-error')).toMatch(/^[A-Za-z.]+;(Sender|Receiver)$/);
  } else if (service === 'ec2') {
    expect(reply.text).toMatch(/<Response><Errors><Error><Code>[^<]+<\/Code>/);
  } else {
    expect(reply.text).toMatch(/<ErrorResponse[^>]*><Error><Type>Sender<\/Type><Code>[^<]+<\/Code>/);
  }
}

describe('bad requests to every operation', () => {
  it('never crash, never 5xx, and answer in the protocol error format', async () => {
    const failures: string[] = [];
    let sent = 0;
    for (const m of twin.modules) {
      if (m.service === 's3') continue; // REST: covered in s3.test.ts
      for (const operation of Object.keys(m.operations)) {
        for (const payload of ['empty', 'wrong'] as const) {
          const reply = await send(m.service, operation, payload);
          sent++;
          if (reply.status >= 500)
            failures.push(
              `${m.service}.${operation} (${payload}) → ${reply.status} ${reply.text.slice(0, 200)}`,
            );
          else if (reply.status >= 400) expectProtocolError(m.service, reply);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(internal).toEqual([]);
    // ECS, Auto Scaling, EC2, CloudWatch, Logs and Secrets Manager together serve well over 50 operations.
    expect(sent).toBeGreaterThan(100);
  });

  it('answers Cloud Map requests without their required members with InvalidInput', async () => {
    const sd = twin.modules.find((m) => m.service === 'servicediscovery')!;
    const codes = new Set<string>();
    for (const operation of Object.keys(sd.operations)) {
      const reply = await send('servicediscovery', operation, 'empty');
      if (operation === 'ListNamespaces' || operation === 'ListServices' || operation === 'ListOperations') {
        expect(reply.status).toBe(200);
        continue;
      }
      expect(reply.status).toBe(400);
      codes.add((JSON.parse(reply.text) as { __type: string }).__type);
    }
    expect([...codes]).toEqual(['InvalidInput']);
  });

  it('answers the legacy CloudWatch query form for every CloudWatch operation', async () => {
    const cw = twin.modules.find((m) => m.service === 'monitoring')!;
    for (const operation of Object.keys(cw.operations)) {
      const params = new URLSearchParams({ Action: operation, Version: '2010-08-01' });
      const r = await fetch(`${twin.endpoint}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: params.toString(),
      });
      expect(r.status).toBeLessThan(500);
    }
  });
});
