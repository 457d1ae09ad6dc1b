/**
 * The guard of the contract suites (test/helpers/real-neo4j.ts): when the real Neo4j server cannot
 * run, the reason is named, CI fails instead of skipping, and a developer machine reports the reason.
 * These tests start no server.
 */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { contractSuiteMode, realNeo4jAvailability, startRealNeo4j } from '../helpers/real-neo4j.js';

describe('real Neo4j availability', () => {
  const saved = { PATH: process.env['PATH'], JAVA_HOME: process.env['JAVA_HOME'] };
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('names a missing Java as the reason', () => {
    process.env['PATH'] = join(tmpdir(), 'no-such-dir-for-java');
    delete process.env['JAVA_HOME'];
    const a = realNeo4jAvailability();
    expect(a.available).toBe(false);
    expect(a.why).toMatch(/no usable Java/);
  });

  it('names an unbuilt server as the reason, with the command that builds it', () => {
    const a = realNeo4jAvailability(join(tmpdir(), 'no-such-dir', 'neo4j-test-server.jar'));
    // Without Java on this machine the Java reason comes first; with it, the jar is the reason.
    expect(a.available).toBe(false);
    expect(a.why).toMatch(/no usable Java|not built \(run \.ci\/neo4j-server\.sh/);
  });

  it('runs when available, fails in CI when not, and reports elsewhere', () => {
    expect(contractSuiteMode({ available: true }, { CI: 'true' })).toBe('run');
    expect(contractSuiteMode({ available: true }, {})).toBe('run');
    expect(contractSuiteMode({ available: false, why: 'x' }, { CI: 'true' })).toBe('fail');
    expect(contractSuiteMode({ available: false, why: 'x' }, {})).toBe('report');
    expect(contractSuiteMode({ available: false, why: 'x' }, { CI: 'false' })).toBe('report');
  });

  it('refuses a password under 8 characters before starting anything', async () => {
    await expect(startRealNeo4j({ password: 'short' })).rejects.toThrow(
      /password needs at least 8 characters|cannot start real Neo4j/,
    );
  });
});
