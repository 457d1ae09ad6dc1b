/** `neo4j-ecs twin`: starts the twin, prints the endpoint and env, stops on a signal; `twin neo4j --help` works. */
import { Command } from 'commander';
import type { CliIo } from '../../../src/cli/commands/cli-io.js';
import { twinCommand } from '../../../src/cli/commands/twin.js';

function capture(): CliIo & { lines: string[]; errors: string[]; code: number | undefined } {
  const io = {
    lines: [] as string[],
    errors: [] as string[],
    code: undefined as number | undefined,
    out: (l: string) => io.lines.push(l),
    err: (l: string) => io.errors.push(l),
    setExitCode: (c: number) => (io.code = c),
  };
  return io;
}

function program(cmd: Command): Command {
  return new Command('neo4j-ecs').enablePositionalOptions().exitOverride().addCommand(cmd);
}

describe('neo4j-ecs twin', () => {
  it('starts on --port 0, prints the endpoint and the env vars, answers, and stops', async () => {
    const io = capture();
    let health: unknown;
    let endpoint = '';
    const cmd = twinCommand({
      io,
      until: async (twin) => {
        endpoint = twin.endpoint;
        health = await (await fetch(`${twin.endpoint}/_twin/health`)).json();
      },
    });
    await program(cmd).parseAsync(['twin', '--port', '0', '--seed', '7', '--time-scale', '50'], {
      from: 'user',
    });
    expect(io.code).toBeUndefined();
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(io.lines[0]).toBe(
      `AWS twin listening on ${endpoint} (region us-east-1, account 000000000000, seed 7, time scale 50)`,
    );
    expect(io.lines).toEqual(
      expect.arrayContaining([
        `export AWS_ENDPOINT_URL=${endpoint}`,
        'export AWS_ACCESS_KEY_ID=test',
        'export AWS_SECRET_ACCESS_KEY=test',
        'export AWS_REGION=us-east-1',
      ]),
    );
    expect(health).toMatchObject({ status: 'ok', seed: 7, timeScale: 50 });
    expect(io.lines[io.lines.length - 1]).toBe('AWS twin stopped.');
    await expect(fetch(`${endpoint}/_twin/health`)).rejects.toThrow();
  });

  it('stops on SIGTERM by default', async () => {
    const io = capture();
    const before = new Set(process.listeners('SIGTERM'));
    const run = program(twinCommand({ io })).parseAsync(['twin', '--port', '0'], { from: 'user' });
    for (let i = 0; i < 200 && !io.lines.some((l) => l.startsWith('Press Ctrl-C')); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(io.lines.some((l) => l.startsWith('AWS twin listening'))).toBe(true);
    // Deliver SIGTERM to the command's own handler only (not to any other listener in this process).
    const added = process.listeners('SIGTERM').filter((l) => !before.has(l));
    expect(added).toHaveLength(1);
    added[0]!('SIGTERM');
    await run;
    expect(io.lines[io.lines.length - 1]).toBe('AWS twin stopped.');
    expect(process.listeners('SIGTERM').filter((l) => !before.has(l))).toHaveLength(0);
    expect(process.listeners('SIGINT').filter((l) => added.includes(l))).toHaveLength(0);
  });

  it('reports a port in use and a non-loopback host as clear errors with exit code 2', async () => {
    const first = capture();
    let busyPort = 0;
    let second: ReturnType<typeof capture> | undefined;
    await program(
      twinCommand({
        io: first,
        until: async (twin) => {
          busyPort = twin.port;
          second = capture();
          await program(twinCommand({ io: second, until: () => Promise.resolve() })).parseAsync(
            ['twin', '--port', String(busyPort)],
            { from: 'user' },
          );
        },
      }),
    ).parseAsync(['twin', '--port', '0'], { from: 'user' });
    expect(second?.code).toBe(2);
    expect(second?.errors.join('\n')).toContain(`port ${busyPort} is already in use`);
    const third = capture();
    await program(twinCommand({ io: third, until: () => Promise.resolve() })).parseAsync(
      ['twin', '--port', '0', '--host', '0.0.0.0'],
      { from: 'user' },
    );
    expect(third.code).toBe(2);
    expect(third.errors.join('\n')).toContain('only listens on loopback');
  });

  it('rejects bad option values through commander', async () => {
    const cmd = twinCommand({ io: capture() });
    const p = program(cmd);
    cmd.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    await expect(p.parseAsync(['twin', '--port', '99999'], { from: 'user' })).rejects.toThrow(/port number/);
    await expect(p.parseAsync(['twin', '--time-scale', '0'], { from: 'user' })).rejects.toThrow(/> 0/);
  });

  it('offers `twin neo4j` as a subcommand with its own options', async () => {
    const cmd = twinCommand({ io: capture() });
    const neo4j = cmd.commands.find((c) => c.name() === 'neo4j');
    expect(neo4j).toBeDefined();
    let help = '';
    neo4j!.exitOverride().configureOutput({ writeOut: (s) => (help += s), writeErr: () => undefined });
    await expect(
      program(cmd).parseAsync(['twin', 'neo4j', '--help'], { from: 'user' }),
    ).rejects.toMatchObject({ code: 'commander.helpDisplayed' });
    expect(help).toContain('--primaries');
    expect(help).toContain('--time-scale');
  });
});
