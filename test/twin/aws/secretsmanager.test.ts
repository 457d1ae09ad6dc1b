import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  paginateListSecrets,
} from '@aws-sdk/client-secrets-manager';
import {
  type AwsTwin,
  awsCli,
  awsCliRaw,
  destroyClients,
  sdkConfig,
  startTestTwin,
  twinClients,
  type TwinClients,
} from '../../helpers/twin.js';

let twin: AwsTwin;
let c: TwinClients;

beforeAll(async () => {
  twin = await startTestTwin();
  c = twinClients(twin);
});
afterAll(async () => {
  destroyClients(c);
  await twin.stop();
});

describe('Secrets Manager through the JS SDK', () => {
  it('creates a secret with a real ARN and reads it by name and by ARN', async () => {
    const created = await c.secrets.send(
      new CreateSecretCommand({ Name: 'neo4j/auth', SecretString: 'neo4j/s3cret' }),
    );
    expect(created.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:000000000000:secret:neo4j\/auth-[A-Za-z0-9]{6}$/,
    );
    const byName = await c.secrets.send(new GetSecretValueCommand({ SecretId: 'neo4j/auth' }));
    expect(byName.SecretString).toBe('neo4j/s3cret');
    expect(byName.VersionStages).toEqual(['AWSCURRENT']);
    expect(byName.CreatedDate).toBeInstanceOf(Date);
    const byArn = await c.secrets.send(new GetSecretValueCommand({ SecretId: created.ARN }));
    expect(byArn.VersionId).toBe(created.VersionId);
    const partial = created.ARN!.slice(0, -7);
    const byPartial = await c.secrets.send(new GetSecretValueCommand({ SecretId: partial }));
    expect(byPartial.Name).toBe('neo4j/auth');
  });

  it('moves AWSCURRENT to a new version on PutSecretValue and keeps AWSPREVIOUS readable', async () => {
    const first = await c.secrets.send(new CreateSecretCommand({ Name: 'rotating', SecretString: 'v1' }));
    const second = await c.secrets.send(
      new PutSecretValueCommand({ SecretId: 'rotating', SecretString: 'v2' }),
    );
    expect(second.VersionStages).toEqual(['AWSCURRENT']);
    expect((await c.secrets.send(new GetSecretValueCommand({ SecretId: 'rotating' }))).SecretString).toBe(
      'v2',
    );
    const prev = await c.secrets.send(
      new GetSecretValueCommand({ SecretId: 'rotating', VersionStage: 'AWSPREVIOUS' }),
    );
    expect(prev.SecretString).toBe('v1');
    const old = await c.secrets.send(
      new GetSecretValueCommand({ SecretId: 'rotating', VersionId: first.VersionId }),
    );
    expect(old.SecretString).toBe('v1');
    const d = await c.secrets.send(new DescribeSecretCommand({ SecretId: 'rotating' }));
    expect(d.VersionIdsToStages?.[second.VersionId!]).toEqual(['AWSCURRENT']);
    expect(d.VersionIdsToStages?.[first.VersionId!]).toEqual(['AWSPREVIOUS']);
  });

  it('is idempotent on ClientRequestToken and refuses to change an existing version', async () => {
    await c.secrets.send(new CreateSecretCommand({ Name: 'idem', SecretString: 'a' }));
    const token = 'b'.repeat(32);
    const a = await c.secrets.send(
      new PutSecretValueCommand({ SecretId: 'idem', SecretString: 'x', ClientRequestToken: token }),
    );
    const b = await c.secrets.send(
      new PutSecretValueCommand({ SecretId: 'idem', SecretString: 'x', ClientRequestToken: token }),
    );
    expect(b.VersionId).toBe(a.VersionId);
    await expect(
      c.secrets.send(
        new PutSecretValueCommand({ SecretId: 'idem', SecretString: 'y', ClientRequestToken: token }),
      ),
    ).rejects.toBeInstanceOf(ResourceExistsException);
  });

  it('reports real errors: duplicate name, unknown secret, deleted secret', async () => {
    await c.secrets.send(new CreateSecretCommand({ Name: 'dup', SecretString: 'x' }));
    await expect(
      c.secrets.send(new CreateSecretCommand({ Name: 'dup', SecretString: 'y' })),
    ).rejects.toBeInstanceOf(ResourceExistsException);
    await expect(c.secrets.send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    const del = await c.secrets.send(new DeleteSecretCommand({ SecretId: 'dup', RecoveryWindowInDays: 7 }));
    expect(del.DeletionDate!.getTime()).toBeGreaterThan(twin.clock.now());
    await expect(c.secrets.send(new GetSecretValueCommand({ SecretId: 'dup' }))).rejects.toMatchObject({
      name: 'InvalidRequestException',
    });
  });

  it('paginates ListSecrets with NextToken/MaxResults and filters by name prefix', async () => {
    for (let i = 0; i < 5; i++)
      await c.secrets.send(new CreateSecretCommand({ Name: `page/s${i}`, SecretString: `v${i}` }));
    const names: string[] = [];
    for await (const p of paginateListSecrets(
      { client: c.secrets, pageSize: 2 },
      { Filters: [{ Key: 'name', Values: ['page/'] }] },
    )) {
      expect(p.SecretList!.length).toBeLessThanOrEqual(2);
      names.push(...p.SecretList!.map((s) => s.Name!));
    }
    expect(names).toEqual(['page/s0', 'page/s1', 'page/s2', 'page/s3', 'page/s4']);
    const first = await c.secrets.send(
      new ListSecretsCommand({ MaxResults: 2, Filters: [{ Key: 'name', Values: ['page/'] }] }),
    );
    expect(first.NextToken).toBeDefined();
  });

  it('resolves ECS valueFrom references, including a JSON key', async () => {
    const s = await c.secrets.send(
      new CreateSecretCommand({
        Name: 'json',
        SecretString: JSON.stringify({ user: 'neo4j', password: 'pw' }),
      }),
    );
    expect(twin.resolveSecret(s.ARN!)).toBe('{"user":"neo4j","password":"pw"}');
    expect(twin.resolveSecret(`${s.ARN!}:password::`)).toBe('pw');
    expect(twin.resolveSecret('json')).toContain('neo4j');
    expect(
      twin.resolveSecret('arn:aws:secretsmanager:us-east-1:000000000000:secret:missing-AbCdEf'),
    ).toBeUndefined();
  });

  it('never writes secret values into the call log', async () => {
    await c.secrets.send(new CreateSecretCommand({ Name: 'hidden', SecretString: 'top-secret-value' }));
    const logged = JSON.stringify(twin.calls.list({ service: 'secretsmanager' }));
    expect(logged).not.toContain('top-secret-value');
    expect(twin.calls.count({ service: 'secretsmanager', operation: 'CreateSecret' })).toBeGreaterThan(0);
  });

  it('answers bad requests with the real error format, without retries', async () => {
    const fast = new SecretsManagerClient(sdkConfig(twin, { maxAttempts: 1 }));
    try {
      await expect(fast.send(new GetSecretValueCommand({} as never))).rejects.toMatchObject({
        name: 'ValidationException',
        $metadata: { httpStatusCode: 400 },
      });
      await expect(
        fast.send(new CreateSecretCommand({ Name: 'bad name!?', SecretString: 'x' })),
      ).rejects.toMatchObject({ name: 'InvalidParameterException' });
      await expect(fast.send(new GetSecretValueCommand({ SecretId: 42 } as never))).rejects.toMatchObject({
        name: 'SerializationException',
      });
    } finally {
      fast.destroy();
    }
  });
});

describe('Secrets Manager through the AWS CLI', () => {
  it('create-secret, get-secret-value, put-secret-value, describe-secret, list-secrets', async () => {
    const created = (await awsCli(twin, [
      'secretsmanager',
      'create-secret',
      '--name',
      'cli/one',
      '--secret-string',
      'one',
    ])) as { ARN: string };
    expect(created.ARN).toContain(':secret:cli/one-');
    await awsCli(twin, [
      'secretsmanager',
      'put-secret-value',
      '--secret-id',
      created.ARN,
      '--secret-string',
      'two',
    ]);
    const got = (await awsCli(twin, ['secretsmanager', 'get-secret-value', '--secret-id', 'cli/one'])) as {
      SecretString: string;
    };
    expect(got.SecretString).toBe('two');
    const desc = (await awsCli(twin, ['secretsmanager', 'describe-secret', '--secret-id', 'cli/one'])) as {
      Name: string;
    };
    expect(desc.Name).toBe('cli/one');
    const list = (await awsCli(twin, [
      'secretsmanager',
      'list-secrets',
      '--filters',
      'Key=name,Values=cli/',
    ])) as { SecretList: { Name: string }[] };
    expect(list.SecretList.map((s) => s.Name)).toEqual(['cli/one']);
    const missing = await awsCliRaw(twin, ['secretsmanager', 'get-secret-value', '--secret-id', 'cli/none']);
    expect(missing.exitCode).not.toBe(0);
    expect(missing.errorCode).toBe('ResourceNotFoundException');
  });
});
