/**
 * Rules that relate several fields of a Neo4jCluster document. They read the document as written
 * (before defaults), defensively, so they can run even when the structure has problems: a document
 * is told everything that is wrong with it at once. Each rule returns problems; none throws.
 */
import { ownedSetting } from './owned-settings.js';
import type { PathSegment, Problem } from './problems.js';
import { describeValue } from './problems.js';
import { parseMemoryMiB, parseDuration } from './quantities.js';
import { parseVersion, supportLevel } from './version.js';
import { spreadEvenly } from './placement.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function at(root: unknown, ...path: PathSegment[]): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (typeof seg === 'number') cur = Array.isArray(cur) ? cur[seg] : undefined;
    else cur = isObj(cur) ? cur[seg] : undefined;
  }
  return cur;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const err = (path: PathSegment[], message: string): Problem => ({ severity: 'error', path, message });
const warn = (path: PathSegment[], message: string): Problem => ({ severity: 'warning', path, message });

/** The AWS limits per volume type (classic published limits). */
const VOLUME_LIMITS: Record<
  string,
  { size: [number, number]; iops?: [number, number]; iopsPerGiB?: number; iopsRequired?: boolean }
> = {
  gp3: { size: [1, 16384], iops: [3000, 16000], iopsPerGiB: 500 },
  gp2: { size: [1, 16384] },
  io1: { size: [4, 16384], iops: [100, 64000], iopsPerGiB: 50, iopsRequired: true },
  io2: { size: [4, 65536], iops: [100, 256000], iopsPerGiB: 1000, iopsRequired: true },
  st1: { size: [125, 16384] },
  sc1: { size: [125, 16384] },
};

function primaryZoneRules(doc: unknown): Problem[] {
  const out: Problem[] = [];
  const count = num(at(doc, 'spec', 'primaries', 'count'));
  const zones = at(doc, 'spec', 'primaries', 'zones');
  const asgs = at(doc, 'spec', 'capacity', 'primaryAutoScalingGroups');
  const asgZones = isObj(asgs) ? Object.keys(asgs) : undefined;
  let hosting: Map<string, number> | undefined;

  if (Array.isArray(zones)) {
    const seen = new Map<string, number>();
    zones.forEach((z, i) => {
      const name = str(at(z, 'zone'));
      if (name === undefined) return;
      const first = seen.get(name);
      if (first !== undefined)
        out.push(
          err(
            ['spec', 'primaries', 'zones', i, 'zone'],
            `duplicate zone "${name}" (already at zones[${first}])`,
          ),
        );
      else seen.set(name, i);
    });
    const counts = zones.map((z) => at(z, 'count'));
    const given = counts.filter((c) => c !== undefined).length;
    if (given > 0 && given < zones.length) {
      counts.forEach((c, i) => {
        if (c === undefined)
          out.push(
            err(
              ['spec', 'primaries', 'zones', i],
              'expected a count here: give a count on every zone, or on none to spread evenly',
            ),
          );
      });
    } else if (given === zones.length && count !== undefined) {
      const sum = counts.reduce<number>((a, c) => a + (num(c) ?? 0), 0);
      if (counts.every((c) => num(c) !== undefined) && sum !== count)
        out.push(
          err(
            ['spec', 'primaries', 'zones'],
            `expected the counts per zone to sum to spec.primaries.count (${count}), found ${sum}`,
          ),
        );
      hosting = new Map(zones.map((z, i) => [str(at(z, 'zone')) ?? '', num(counts[i]) ?? 0]));
    } else if (given === 0 && count !== undefined) {
      hosting = spreadEvenly(
        count,
        zones.map((z) => str(at(z, 'zone')) ?? ''),
      );
    }
  } else if (zones === undefined && asgZones !== undefined && count !== undefined) {
    if (asgZones.length === 0)
      out.push(
        err(
          ['spec', 'capacity', 'primaryAutoScalingGroups'],
          'expected at least one AZ with an Auto Scaling group: primaries are spread over these AZs',
        ),
      );
    hosting = spreadEvenly(count, asgZones);
  }

  if (hosting && asgZones) {
    for (const [zone, n] of hosting) {
      if (n > 0 && zone !== '' && !asgZones.includes(zone))
        out.push(
          err(
            ['spec', 'capacity', 'primaryAutoScalingGroups'],
            `expected an Auto Scaling group for ${zone}, which hosts ${n} ${n === 1 ? 'primary' : 'primaries'}; found none`,
          ),
        );
    }
  }
  return out;
}

function primaryCountRules(doc: unknown): Problem[] {
  const count = num(at(doc, 'spec', 'primaries', 'count'));
  if (count === undefined || count < 1) return [];
  if (count < 3)
    return [
      warn(
        ['spec', 'primaries', 'count'],
        `${count} ${count === 1 ? 'primary tolerates' : 'primaries tolerate'} no failure; 3 or more are recommended`,
      ),
    ];
  if (count % 2 === 0)
    return [
      warn(
        ['spec', 'primaries', 'count'],
        `an even number of primaries (${count}) tolerates no more failures than ${count - 1}; an odd number is recommended`,
      ),
    ];
  return [];
}

function secondaryRules(doc: unknown): Problem[] {
  const out: Problem[] = [];
  const count = num(at(doc, 'spec', 'secondaries', 'count')) ?? 0;
  if (
    count > 0 &&
    at(doc, 'spec', 'capacity', 'secondaryAutoScalingGroup') === undefined &&
    isObj(at(doc, 'spec', 'capacity'))
  )
    out.push(
      err(
        ['spec', 'capacity', 'secondaryAutoScalingGroup'],
        `expected an Auto Scaling group for the ${count} secondaries, found none`,
      ),
    );
  const zones = at(doc, 'spec', 'secondaries', 'zones');
  if (Array.isArray(zones)) {
    zones.forEach((z, i) => {
      if (zones.indexOf(z) !== i)
        out.push(err(['spec', 'secondaries', 'zones', i], `duplicate zone ${describeValue(z)}`));
    });
  }
  return out;
}

function neo4jRules(doc: unknown): Problem[] {
  const out: Problem[] = [];
  const versionText = str(at(doc, 'spec', 'neo4j', 'version'));
  const version = versionText === undefined ? undefined : parseVersion(versionText);
  if (version) {
    const support = supportLevel(version);
    if (support.level === 'warning') out.push(warn(['spec', 'neo4j', 'version'], support.message));
  }
  if (at(doc, 'spec', 'neo4j', 'edition') === 'community')
    out.push(
      err(
        ['spec', 'neo4j', 'edition'],
        'expected "enterprise", found "community": clustering needs Neo4j Enterprise',
      ),
    );
  const image = str(at(doc, 'spec', 'neo4j', 'image'));
  const tag = image ? /:([\w][\w.-]*)(@|$)/.exec(image.slice(image.lastIndexOf('/') + 1))?.[1] : undefined;
  if (tag) {
    if (/(^|-)community$/.test(tag))
      out.push(
        err(
          ['spec', 'neo4j', 'image'],
          `expected an Enterprise image, found tag "${tag}": clustering needs Neo4j Enterprise`,
        ),
      );
    const tagVersion = /^(\d+\.\d+(?:\.\d+)?)(-|$)/.exec(tag)?.[1];
    if (tagVersion && versionText && parseVersion(tagVersion) && tagVersion !== versionText)
      out.push(
        err(
          ['spec', 'neo4j', 'image'],
          `expected the image tag to match spec.neo4j.version "${versionText}", found "${tagVersion}"`,
        ),
      );
  }
  const config = at(doc, 'spec', 'neo4j', 'config');
  if (isObj(config)) {
    for (const key of Object.keys(config)) {
      const owned = ownedSetting(key);
      if (owned)
        out.push(
          err(
            ['spec', 'neo4j', 'config', key],
            `"${key}" is set by the operator and cannot be overridden: ${owned.instead}`,
          ),
        );
    }
  }
  return out;
}

function volumeRules(doc: unknown): Problem[] {
  const out: Problem[] = [];
  const v = at(doc, 'spec', 'volume');
  if (!isObj(v)) return out;
  const type = str(v.type) ?? 'gp3';
  const limits = VOLUME_LIMITS[type];
  if (!limits) return out;
  const size = num(v.sizeGiB);
  const iops = num(v.iops);
  const base = ['spec', 'volume'];
  if (size !== undefined && (size < limits.size[0] || size > limits.size[1]))
    out.push(
      err(
        [...base, 'sizeGiB'],
        `expected ${limits.size[0]}..${limits.size[1]} GiB for ${type}, found ${size}`,
      ),
    );
  if (limits.iopsRequired && v.iops === undefined)
    out.push(err([...base, 'iops'], `expected iops for a ${type} volume, found none`));
  if (iops !== undefined) {
    if (!limits.iops)
      out.push(
        err([...base, 'iops'], `expected no iops for a ${type} volume (only gp3, io1, io2), found ${iops}`),
      );
    else if (iops < limits.iops[0] || iops > limits.iops[1])
      out.push(
        err(
          [...base, 'iops'],
          `expected ${limits.iops[0]}..${limits.iops[1]} iops for ${type}, found ${iops}`,
        ),
      );
    else if (size !== undefined && limits.iopsPerGiB && iops > size * limits.iopsPerGiB)
      out.push(
        err(
          [...base, 'iops'],
          `expected at most ${limits.iopsPerGiB} iops per GiB for ${type} (${size * limits.iopsPerGiB} for ${size} GiB), found ${iops}`,
        ),
      );
  }
  const throughput = num(v.throughput);
  if (throughput !== undefined && type !== 'gp3')
    out.push(
      err(
        [...base, 'throughput'],
        `expected no throughput for a ${type} volume (gp3 only), found ${throughput}`,
      ),
    );
  else if (throughput !== undefined && throughput > 1000)
    out.push(err([...base, 'throughput'], `expected 125..1000 MiB/s for gp3, found ${throughput}`));
  if (v.kmsKeyId !== undefined && v.encrypted === false)
    out.push(err([...base, 'kmsKeyId'], 'expected encrypted: true with a kmsKeyId, found encrypted: false'));
  if (type === 'st1' || type === 'sc1')
    out.push(
      warn([...base, 'type'], `${type} is a throughput-optimised HDD; Neo4j's random I/O wants gp3 or io2`),
    );
  return out;
}

function resourceRules(doc: unknown): Problem[] {
  const r = at(doc, 'spec', 'resources');
  if (!isObj(r)) return [];
  const mem = num(r.memoryMiB);
  const heap = typeof r.heap === 'string' ? parseMemoryMiB(r.heap) : undefined;
  const pc = typeof r.pageCache === 'string' ? parseMemoryMiB(r.pageCache) : undefined;
  if (mem === undefined || heap === undefined || pc === undefined) return [];
  const out: Problem[] = [];
  const used = Math.round(heap + pc);
  if (used > mem)
    out.push(
      err(
        ['spec', 'resources'],
        `expected heap + pageCache to fit in memoryMiB (${mem}), found ${used} MiB: the task would be killed for memory`,
      ),
    );
  else if (mem - used < 512)
    out.push(
      warn(
        ['spec', 'resources'],
        `heap + pageCache leave ${mem - used} MiB of ${mem} for the JVM's off-heap memory and the OS; 512 MiB or more is recommended`,
      ),
    );
  if (heap > 31 * 1024)
    out.push(warn(['spec', 'resources', 'heap'], 'a heap over 31g loses compressed object pointers'));
  return out;
}

function upgradeRules(doc: unknown): Problem[] {
  const t = at(doc, 'spec', 'upgrade', 'leadershipTransferTimeout');
  if (typeof t === 'string' && parseDuration(t) === 0)
    return [
      err(['spec', 'upgrade', 'leadershipTransferTimeout'], 'expected a duration above zero, found "0"'),
    ];
  return [];
}

/** Every cross-field rule, in document order. */
export function crossFieldProblems(doc: unknown): Problem[] {
  return [
    ...neo4jRules(doc),
    ...primaryCountRules(doc),
    ...primaryZoneRules(doc),
    ...secondaryRules(doc),
    ...volumeRules(doc),
    ...resourceRules(doc),
    ...upgradeRules(doc),
  ];
}
