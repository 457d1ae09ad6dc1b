/**
 * Human-written quantities in the desired-state document: durations ("30s", "5m", "1h30m") and
 * Neo4j-style memory sizes ("512m", "4g", "4GiB"). Parsers return undefined on bad input so the
 * schema can report what was expected.
 */

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^(?:(\d+(?:\.\d+)?)(ms|s|m|h))+$/;
const DURATION_PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** Parses "90s", "5m", "1h30m", "250ms" into milliseconds. "0" and "0s" are zero. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  if (!DURATION_RE.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(DURATION_PART_RE)) {
    const unit = DURATION_UNITS[m[2] ?? ''];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
  }
  return Math.round(total);
}

/** Formats milliseconds the way the document writes them: "1h30m", "45s", "250ms". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 1000 !== 0) return `${ms}ms`;
  let s = ms / 1000;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
}

const MEM_UNITS: Record<string, number> = {
  '': 1 / (1024 * 1024),
  k: 1 / 1024,
  kb: 1 / 1024,
  kib: 1 / 1024,
  m: 1,
  mb: 1,
  mib: 1,
  g: 1024,
  gb: 1024,
  gib: 1024,
  t: 1024 * 1024,
  tb: 1024 * 1024,
  tib: 1024 * 1024,
};

/** Parses a Neo4j memory setting ("512m", "4g", "4GiB", "1.5g") into MiB (binary units, as Neo4j reads them). */
export function parseMemoryMiB(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = MEM_UNITS[(m[2] ?? '').toLowerCase()];
  if (unit === undefined) return undefined;
  return Number(m[1]) * unit;
}

/** Formats MiB as a Neo4j setting value: whole GiB as "4g", else "1536m". */
export function formatNeo4jMemory(mib: number): string {
  return Number.isInteger(mib / 1024) ? `${mib / 1024}g` : `${Math.round(mib)}m`;
}
