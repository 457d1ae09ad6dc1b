/**
 * The runtime dependencies, loaded in one place so a test can prove each resolves under the
 * module system we chose (native ESM; see docs/architecture.md "Toolchain").
 */
export const RUNTIME_DEPENDENCIES = [
  '@aws-sdk/client-ecs',
  '@aws-sdk/client-auto-scaling',
  '@aws-sdk/client-ec2',
  '@aws-sdk/client-cloudwatch',
  '@aws-sdk/client-cloudwatch-logs',
  '@aws-sdk/client-s3',
  '@aws-sdk/client-secrets-manager',
  'neo4j-driver',
  'zod',
  'p-retry',
  'yaml',
  'commander',
  'pino',
  'prom-client',
] as const;

export type RuntimeDependency = (typeof RUNTIME_DEPENDENCIES)[number];

/** Imports every runtime dependency and returns the names of their exports, per package. */
export async function loadRuntimeDependencies(): Promise<Record<RuntimeDependency, string[]>> {
  const out = {} as Record<RuntimeDependency, string[]>;
  for (const name of RUNTIME_DEPENDENCIES) {
    const mod = (await import(name)) as Record<string, unknown>;
    out[name] = Object.keys(mod);
  }
  return out;
}
