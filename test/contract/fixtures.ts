/**
 * The recorded answers of the real Neo4j 5.26 Community server, one JSON file per probe in
 * test/fixtures/neo4j-5.26-community/. `UPDATE_FIXTURES=1 npm test -- test/contract/real-neo4j.test.ts`
 * rewrites them from a live server; otherwise the tests compare live answers with them.
 *
 * Besides the probes of probes.ts there are two connection-level fixtures:
 * - `server.json`: what the driver reports after HELLO (agent, negotiated Bolt version);
 * - `auth-failure.json`: the error for a wrong password.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURE_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'neo4j-5.26-community',
);

/** True when the run should rewrite the fixtures instead of checking against them. */
export function updatingFixtures(): boolean {
  return process.env['UPDATE_FIXTURES'] === '1' || process.env['UPDATE_FIXTURES'] === 'true';
}

export function fixturePath(name: string): string {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`not a fixture name: ${name}`);
  return join(FIXTURE_DIR, `${name}.json`);
}

export function readFixture<T = unknown>(name: string): T {
  const path = fixturePath(name);
  if (!existsSync(path)) {
    throw new Error(
      `fixture ${name}.json is missing; record it with UPDATE_FIXTURES=1 npm test -- test/contract/real-neo4j.test.ts`,
    );
  }
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export function writeFixture(name: string, value: unknown): void {
  mkdirSync(FIXTURE_DIR, { recursive: true });
  writeFileSync(fixturePath(name), `${JSON.stringify(value, null, 2)}\n`);
}

/** The names of the recorded fixtures (without `.json`). */
export function fixtureNames(): string[] {
  if (!existsSync(FIXTURE_DIR)) return [];
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** `server.json`: the connection facts. */
export interface ServerFixture {
  agent: string;
  protocolVersion: string;
  edition: string;
  version: string;
}

/** `auth-failure.json`. */
export interface AuthFailureFixture {
  code: string;
  message: string;
  gqlStatus: string;
}
