/**
 * Decodes awsQuery / ec2Query form parameters into a plain object, per the contract in ../contract.ts:
 * `A.member.1.B=x` (awsQuery) and `A.1.B=x` (ec2Query) both become `{A: [{B: 'x'}]}`; awsQuery maps
 * (`M.entry.1.key=k&M.entry.1.value=v`) become `{M: {k: 'v'}}`. Scalars stay strings. Lists are
 * ordered by their 1-based index and compacted.
 */

type Node = string | Map<string, Node>;

const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);
const INDEX = /^[1-9][0-9]{0,5}$/;

export class FormDecodeError extends Error {}

/** Parses the form parameters (query string plus an urlencoded body). */
export function formParams(
  query: URLSearchParams,
  body: Buffer,
  contentType: string | undefined,
): [string, string][] {
  const out: [string, string][] = [...query.entries()];
  if (body.length > 0 && (contentType ?? '').toLowerCase().includes('x-www-form-urlencoded')) {
    out.push(...new URLSearchParams(body.toString('utf8')).entries());
  }
  return out;
}

export function decodeForm(params: Iterable<[string, string]>): Record<string, unknown> {
  const root = new Map<string, Node>();
  for (const [key, value] of params) {
    if (key === '') continue;
    const raw = key.split('.');
    const path: string[] = [];
    for (let i = 0; i < raw.length; i++) {
      const seg = raw[i] as string;
      if (FORBIDDEN.has(seg) || seg === '') throw new FormDecodeError(`Invalid parameter name: ${key}`);
      // `member` before an index is the awsQuery list wrapper: drop it, the index makes the list.
      if (seg === 'member' && INDEX.test(raw[i + 1] ?? '')) continue;
      path.push(seg);
    }
    let node = root;
    for (let i = 0; i < path.length - 1; i++) {
      const seg = path[i] as string;
      const next = node.get(seg);
      if (next === undefined) {
        const m = new Map<string, Node>();
        node.set(seg, m);
        node = m;
      } else if (typeof next === 'string') {
        if (next !== '')
          throw new FormDecodeError(
            `Parameter ${path.slice(0, i + 1).join('.')} is both a value and a structure`,
          );
        const m = new Map<string, Node>();
        node.set(seg, m);
        node = m;
      } else node = next;
    }
    const last = path[path.length - 1] as string;
    const existing = node.get(last);
    if (existing instanceof Map) {
      // `Names=` (an explicitly empty list) next to `Names.member.1=…`: keep the structure.
      if (value !== '') throw new FormDecodeError(`Parameter ${key} is both a value and a structure`);
      continue;
    }
    node.set(last, value);
  }
  const out = toPlain(root);
  return out as Record<string, unknown>;
}

function toPlain(node: Node): unknown {
  if (typeof node === 'string') return node;
  const keys = [...node.keys()];
  if (keys.length > 0 && keys.every((k) => INDEX.test(k))) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((k) => toPlain(node.get(String(k)) as Node));
  }
  if (keys.length === 1 && keys[0] === 'entry') {
    const entries = toPlain(node.get('entry') as Node);
    if (Array.isArray(entries) && entries.every(isKeyValue)) {
      const map: Record<string, unknown> = {};
      for (const e of entries) map[String(e.key)] = e.value;
      return map;
    }
  }
  const obj: Record<string, unknown> = {};
  for (const k of keys) obj[k] = toPlain(node.get(k) as Node);
  return obj;
}

function isKeyValue(v: unknown): v is { key: unknown; value: unknown } {
  return typeof v === 'object' && v !== null && 'key' in v;
}
