/**
 * The host volume agent (deploy/host/neo4j-ecs-volume-agent.sh): shellcheck-clean (a missing
 * shellcheck fails in CI), and run against a fake / tree (--root) whose /dev holds sparse files and
 * whose aws, blkid, mkfs and mount are stubs keeping their state in files: a blank volume is formatted
 * and mounted, a volume with a filesystem or with any data is never formatted, the readiness marker
 * appears only after the mount, and a missing volume waits, then fails cleanly. When this machine can
 * (root, losetup works), the same is checked on real loop devices with the real blkid, mkfs.ext4 and
 * mount.
 */
import { execFile, execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, requireTool, shellcheck } from './cfn.js';

const AGENT = join(REPO, 'deploy/host/neo4j-ecs-volume-agent.sh');
const INSTANCE = 'i-0123456789abcdef0';
const VOL = 'vol-0aaaabbbbccccdddd1';
const MEMBER = 'graph-primary-1';
const MIB = 1024 * 1024;

interface Run {
  code: number;
  stderr: string;
}

function run(root: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      [AGENT, '--root', root, ...args],
      {
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          NEO4J_ECS_INSTANCE_ID: INSTANCE,
          AWS_REGION: 'us-east-1',
          ...env,
        },
        timeout: 30_000,
      },
      (err, _stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stderr });
      },
    );
  });
}

/** Stub commands; their state lives in files under `<state>`. */
const STUBS: Record<string, string> = {
  aws: `#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$STATE/calls"
cat "$STATE/volumes.txt" 2>/dev/null || true
`,
  blkid: `#!/usr/bin/env bash
printf 'blkid %s\\n' "$*" >> "$STATE/calls"
[[ -f "$STATE/blkid-error" ]] && exit 4
if [[ $1 == -L ]]; then
  [[ -f "$STATE/labels/$2" ]] && { cat "$STATE/labels/$2"; exit 0; }
  exit 2
fi
dev=\${@: -1}
f="$STATE/fs/$(basename "$dev")"
[[ -f $f ]] && { printf '%s: TYPE="%s"\\n' "$dev" "$(cat "$f")"; exit 0; }
exit 2
`,
  mkfs: `#!/usr/bin/env bash
printf 'mkfs %s\\n' "$*" >> "$STATE/calls"
dev=\${@: -1}
while (($#)); do [[ $1 == -L ]] && { mkdir -p "$STATE/labels"; printf '%s' "$dev" > "$STATE/labels/$2"; }; shift; done
mkdir -p "$STATE/fs"; printf ext4 > "$STATE/fs/$(basename "$dev")"
`,
  mount: `#!/usr/bin/env bash
dev=\${@: -2:1}; mp=\${@: -1}
printf 'mount %s %s marker-before=%s\\n' "$dev" "$mp" "$([[ -e $mp/.neo4j-ecs-mounted ]] && echo yes || echo no)" >> "$STATE/calls"
[[ -f "$STATE/mount-fails" ]] && { echo "mount: permission denied" >&2; exit 32; }
printf '%s %s ext4 rw 0 0\\n' "$dev" "$mp" >> "$ROOT/proc/mounts"
`,
};

interface Fake {
  root: string;
  state: string;
  env: Record<string, string>;
  device: string;
  mountPoint: string;
  marker: string;
  calls(): string[];
}

let scratch: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'volume-agent-'));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

let n = 0;
/** A fake / with one attached member volume whose device is a sparse 8 MiB file (or none). */
function fake(opts: { device?: boolean; attached?: string; listed?: boolean } = {}): Fake {
  const root = join(scratch, `root-${++n}`);
  const state = join(scratch, `state-${n}`);
  const bin = join(scratch, `bin-${n}`);
  for (const d of [join(root, 'dev/disk/by-id'), join(root, 'proc'), state, bin])
    mkdirSync(d, { recursive: true });
  writeFileSync(join(root, 'proc/mounts'), '/dev/nvme0n1p1 / xfs rw 0 0\n');
  for (const [name, text] of Object.entries(STUBS)) {
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  }
  const device = join(root, `dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${VOL.replace('-', '')}`);
  if (opts.device ?? true) {
    writeFileSync(device, '');
    execFileSync('truncate', ['-s', '8M', device]);
  }
  if (opts.listed ?? true)
    writeFileSync(
      join(state, 'volumes.txt'),
      `${VOL}\t${MEMBER}\t/dev/xvdf\t${opts.attached ?? 'attached'}\n`,
    );
  const mountPoint = join(root, 'var/lib/neo4j-ecs', MEMBER);
  return {
    root,
    state,
    device,
    mountPoint,
    marker: join(mountPoint, '.neo4j-ecs-mounted'),
    env: {
      STATE: state,
      ROOT: root,
      AWS: join(bin, 'aws'),
      BLKID: join(bin, 'blkid'),
      MKFS: join(bin, 'mkfs'),
      MOUNT: join(bin, 'mount'),
    },
    calls: () =>
      existsSync(join(state, 'calls')) ? readFileSync(join(state, 'calls'), 'utf8').trim().split('\n') : [],
  };
}

function writeAt(file: string, offset: number, data: Buffer): void {
  execFileSync('dd', [`of=${file}`, 'bs=1', `seek=${offset}`, 'conv=notrunc', 'status=none'], {
    input: data,
  });
}

it('passes shellcheck', () => {
  const tool = requireTool('shellcheck', shellcheck());
  if (!tool) return;
  expect(() =>
    execFileSync(tool, [AGENT, join(REPO, '.ci/deploy-tools.sh')], { encoding: 'utf8' }),
  ).not.toThrow();
});

describe('against a fake /dev tree with stub commands', () => {
  it('formats a blank volume, mounts it, and only then writes the marker naming the volume', async () => {
    const f = fake();
    const r = await run(f.root, ['--once'], f.env);
    expect(r).toEqual({
      code: 0,
      stderr: expect.stringContaining(`formatting blank volume ${VOL}`) as string,
    });
    const calls = f.calls();
    const mkfs = calls.findIndex((c) => c.startsWith('mkfs'));
    const mount = calls.findIndex((c) => c.startsWith('mount'));
    expect(mkfs).toBeGreaterThanOrEqual(0);
    expect(calls[mkfs]).toBe(`mkfs -L n4j-bbbccccdddd1 ${f.device}`);
    expect(mount).toBeGreaterThan(mkfs);
    expect(calls[mount]).toBe(`mount ${f.device} ${f.mountPoint} marker-before=no`);
    expect(readFileSync(f.marker, 'utf8')).toBe(`${VOL}\n`);
    // The listing asked only for this instance's volumes that carry the member tag.
    expect(calls[0]).toContain(`Name=attachment.instance-id,Values=${INSTANCE}`);
    expect(calls[0]).toContain('Name=tag-key,Values=neo4j-ecs:member');
  });

  it('is idempotent: a second pass neither formats nor mounts again', async () => {
    const f = fake();
    expect((await run(f.root, ['--once'], f.env)).code).toBe(0);
    const before = f.calls().length;
    expect((await run(f.root, ['--once'], f.env)).code).toBe(0);
    const again = f.calls().slice(before);
    expect(again.filter((c) => c.startsWith('mkfs') || c.startsWith('mount'))).toEqual([]);
    expect(readFileSync(f.marker, 'utf8')).toBe(`${VOL}\n`);
  });

  it.each(['ext4', 'xfs'])(
    'never formats a volume blkid reports as %s: it mounts it as it is',
    async (fs) => {
      const f = fake();
      mkdirSync(join(f.state, 'fs'), { recursive: true });
      writeFileSync(join(f.state, 'fs', `nvme-Amazon_Elastic_Block_Store_${VOL.replace('-', '')}`), fs);
      const r = await run(f.root, ['--once'], f.env);
      expect(r.code).toBe(0);
      expect(f.calls().filter((c) => c.startsWith('mkfs'))).toEqual([]);
      expect(f.calls()).toContain(`mount ${f.device} ${f.mountPoint} marker-before=no`);
      expect(readFileSync(f.marker, 'utf8')).toBe(`${VOL}\n`);
    },
  );

  it.each([
    ['in the first bytes', 0],
    ['3 MiB in', 3 * MIB + 17],
  ])(
    'never formats a volume with data %s that blkid does not recognise, and does not mount it',
    async (_what, offset) => {
      const f = fake();
      writeAt(f.device, offset, Buffer.from([0x42]));
      const r = await run(f.root, ['--once'], f.env);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('has data but no filesystem blkid knows; it is never formatted');
      expect(f.calls().filter((c) => c.startsWith('mkfs') || c.startsWith('mount'))).toEqual([]);
      expect(existsSync(f.marker)).toBe(false);
    },
  );

  it('refuses when blkid cannot tell (an error), and formats nothing', async () => {
    const f = fake();
    writeFileSync(join(f.state, 'blkid-error'), '');
    const r = await run(f.root, ['--once'], f.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot verify whether');
    expect(f.calls().filter((c) => c.startsWith('mkfs') || c.startsWith('mount'))).toEqual([]);
  });

  it('writes no marker when the mount fails, and removes a stale one from the unmounted mount point', async () => {
    const f = fake();
    mkdirSync(f.mountPoint, { recursive: true });
    writeFileSync(f.marker, `${VOL}\n`);
    writeFileSync(join(f.state, 'mount-fails'), '');
    const r = await run(f.root, ['--once'], f.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('failed');
    expect(existsSync(f.marker)).toBe(false);
  });

  it('waits (exit 3) while the volume is attaching or its device is not visible, with no marker', async () => {
    const attaching = fake({ attached: 'attaching' });
    const a = await run(attaching.root, ['--once'], attaching.env);
    expect(a.code).toBe(3);
    expect(a.stderr).toContain('is attaching: waiting');
    const noDevice = fake({ device: false });
    const b = await run(noDevice.root, ['--once'], noDevice.env);
    expect(b.code).toBe(3);
    expect(b.stderr).toContain('device is not visible yet');
    expect(existsSync(noDevice.marker)).toBe(false);
  });

  it('finds the device by its filesystem label when the NVMe link is missing', async () => {
    const f = fake({ device: false });
    const other = join(f.root, 'dev/nvme1n1');
    writeFileSync(other, '');
    execFileSync('truncate', ['-s', '8M', other]);
    mkdirSync(join(f.state, 'labels'), { recursive: true });
    writeFileSync(join(f.state, 'labels', 'n4j-bbbccccdddd1'), other);
    mkdirSync(join(f.state, 'fs'), { recursive: true });
    writeFileSync(join(f.state, 'fs', 'nvme1n1'), 'ext4');
    expect((await run(f.root, ['--once'], f.env)).code).toBe(0);
    expect(f.calls()).toContain(`mount ${other} ${f.mountPoint} marker-before=no`);
  });

  it('with --member and --timeout, a volume that never comes fails cleanly after the timeout', async () => {
    const f = fake({ listed: false });
    const r = await run(f.root, ['--member', MEMBER, '--timeout', '1', '--interval', '1'], f.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no volume of ${MEMBER} is attached to ${INSTANCE} yet: waiting`);
    expect(r.stderr).toContain(`gave up: ${MEMBER} not mounted within 1s`);
  });

  it('rejects bad arguments with a clear message (exit 2)', async () => {
    const f = fake();
    for (const args of [['--bogus'], ['--timeout', 'x'], ['--timeout', '5'], ['--member', 'a/../b']]) {
      const r = await run(f.root, args, f.env);
      expect([args, r.code]).toEqual([args, 2]);
      expect(r.stderr).toMatch(/error: /);
    }
    expect(f.calls()).toEqual([]);
  });
});

/** Real loop devices, real blkid/mkfs.ext4/mount: only as root where losetup and mount work. */
describe('on real loop devices', () => {
  const loops: string[] = [];
  const mounts: string[] = [];
  let why: string | undefined;

  beforeAll(() => {
    try {
      if (process.getuid?.() !== 0) throw new Error('not root');
      const probe = join(scratch, 'probe.img');
      execFileSync('truncate', ['-s', '16M', probe]);
      const dev = execFileSync('losetup', ['-f', '--show', probe], { encoding: 'utf8' }).trim();
      loops.push(dev);
      execFileSync('mkfs.ext4', ['-q', dev]);
      const mp = join(scratch, 'probe-mnt');
      mkdirSync(mp);
      execFileSync('mount', [dev, mp]);
      execFileSync('umount', [mp]);
    } catch (e) {
      why = `loop devices cannot be used here (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
      console.warn(`skipping the loop-device checks: ${why}`);
    }
  });

  afterAll(() => {
    for (const mp of mounts.reverse()) {
      try {
        execFileSync('umount', [mp], { stdio: 'ignore' });
      } catch {
        // not mounted
      }
    }
    for (const dev of loops) {
      try {
        execFileSync('losetup', ['-d', dev], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  });

  /** A fake root whose NVMe link points at a new loop device; /proc/mounts is the real one. */
  function loopRoot(prepare: (dev: string) => void): { f: Fake; dev: string } {
    const f = fake({ device: false });
    rmSync(join(f.root, 'proc/mounts'));
    symlinkSync('/proc/mounts', join(f.root, 'proc/mounts'));
    const img = join(scratch, `loop-${n}.img`);
    execFileSync('truncate', ['-s', '32M', img]);
    const dev = execFileSync('losetup', ['-f', '--show', img], { encoding: 'utf8' }).trim();
    loops.push(dev);
    prepare(dev);
    symlinkSync(dev, f.device);
    mounts.push(f.mountPoint);
    const env = { ...f.env };
    delete (env as Partial<typeof env>).BLKID;
    delete (env as Partial<typeof env>).MKFS;
    delete (env as Partial<typeof env>).MOUNT;
    return { f: { ...f, env }, dev };
  }

  it('formats a blank loop device as ext4, mounts it, then writes the marker', async () => {
    if (why) return;
    const { f, dev } = loopRoot(() => undefined);
    const r = await run(f.root, ['--once'], f.env);
    expect([r.code, r.stderr]).toEqual([0, expect.stringContaining('formatting blank volume') as string]);
    expect(execFileSync('blkid', ['-p', '-o', 'value', '-s', 'TYPE', dev], { encoding: 'utf8' }).trim()).toBe(
      'ext4',
    );
    expect(readFileSync('/proc/mounts', 'utf8')).toContain(` ${f.mountPoint} ext4 `);
    expect(readFileSync(f.marker, 'utf8')).toBe(`${VOL}\n`);
  });

  it('mounts a loop device that already has a filesystem without formatting it (its data survives)', async () => {
    if (why) return;
    const { f } = loopRoot((dev) => {
      execFileSync('mkfs.ext4', ['-q', dev]);
      const mp = join(scratch, `seed-${n}`);
      mkdirSync(mp);
      execFileSync('mount', [dev, mp]);
      writeFileSync(join(mp, 'graph.db'), 'precious');
      execFileSync('umount', [mp]);
    });
    const r = await run(f.root, ['--once'], f.env);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('formatting');
    expect(readFileSync(join(f.mountPoint, 'graph.db'), 'utf8')).toBe('precious');
    expect(readFileSync(f.marker, 'utf8')).toBe(`${VOL}\n`);
  });

  it('refuses a loop device holding unrecognised data and leaves it untouched', async () => {
    if (why) return;
    const { f, dev } = loopRoot((d) => writeAt(d, 1 * MIB, Buffer.from('not a filesystem')));
    const r = await run(f.root, ['--once'], f.env);
    expect(r.code).toBe(1);
    expect(
      execFileSync('dd', [`if=${dev}`, 'bs=1', `skip=${MIB}`, 'count=16', 'status=none']).toString(),
    ).toBe('not a filesystem');
    expect(existsSync(f.marker)).toBe(false);
  });
});
