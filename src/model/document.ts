/**
 * Reading Neo4jCluster documents from text (YAML or JSON; a YAML stream may hold several), with every
 * problem located by document path and by line and column.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Document, Node } from 'yaml';
import { z } from 'zod';
import type { Neo4jCluster } from './cluster.js';
import { Neo4jClusterSchema } from './cluster.js';
import type { PathSegment, Problem } from './problems.js';
import { describeValue, hasErrors } from './problems.js';
import { crossFieldProblems } from './rules.js';

export interface DocumentResult {
  /** Where the text came from (file path, s3:// URL, ...), for messages. */
  source: string;
  /** Index of the document within a multi-document YAML stream. */
  index: number;
  /** The validated document with defaults applied; present only when there is no error. */
  cluster?: Neo4jCluster;
  /** Errors and warnings, in document order. */
  problems: Problem[];
}

export const isValid = (r: DocumentResult): r is DocumentResult & { cluster: Neo4jCluster } =>
  r.cluster !== undefined;

function get(root: unknown, path: readonly PathSegment[]): unknown {
  let cur = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** The schema node at a path, to suggest the known keys of an object. */
function schemaAt(path: readonly PathSegment[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = Neo4jClusterSchema;
  const unwrap = (t: z.ZodType | undefined): z.ZodType | undefined => {
    let cur = t;
    while (cur instanceof z.ZodDefault || cur instanceof z.ZodOptional)
      cur = cur instanceof z.ZodDefault ? (cur.unwrap() as z.ZodType) : (cur.unwrap() as z.ZodType);
    return cur;
  };
  for (const seg of path) {
    s = unwrap(s);
    if (s instanceof z.ZodObject && typeof seg === 'string') s = (s.shape as Record<string, z.ZodType>)[seg];
    else if (s instanceof z.ZodArray && typeof seg === 'number') s = s.element as z.ZodType;
    else if (s instanceof z.ZodRecord) s = s.valueType as z.ZodType;
    else return undefined;
  }
  return unwrap(s);
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      row[j] = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
  return (d[a.length] as number[])[b.length] as number;
}

function suggestKey(parent: readonly PathSegment[], key: string): string | undefined {
  const s = schemaAt(parent);
  if (!(s instanceof z.ZodObject)) return undefined;
  const known = Object.keys(s.shape);
  const best = known
    .map((k) => ({ k, d: editDistance(k.toLowerCase(), key.toLowerCase()) }))
    .sort((a, b) => a.d - b.d)[0];
  return best && best.d <= Math.max(2, Math.floor(key.length / 3)) ? best.k : undefined;
}

const SPECIAL_UNKNOWN: Record<string, string> = {
  'spec.credentials.password':
    'a plain password is not accepted: store it in Secrets Manager and give spec.credentials.secretArn',
};

/** Turns one zod issue into problems with messages for people. */
function issueToProblems(issue: z.core.$ZodIssue, data: unknown): Problem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const found = get(data, path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const special = SPECIAL_UNKNOWN[[...path, key].join('.')];
        const hint = suggestKey(path, key);
        return {
          severity: 'error' as const,
          path: [...path, key],
          message: special ?? `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}`,
        };
      });
    case 'invalid_type': {
      if (found === undefined)
        return [
          { severity: 'error', path, message: `is required: expected ${issue.expected}, found nothing` },
        ];
      const quoteHint =
        issue.expected === 'string' && typeof found === 'number' ? ` (quote it: "${String(found)}")` : '';
      return [
        {
          severity: 'error',
          path,
          message: `expected ${issue.expected}, found ${describeValue(found)}${quoteHint}`,
        },
      ];
    }
    case 'invalid_value':
      return [
        {
          severity: 'error',
          path,
          message: `expected ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((v) => JSON.stringify(v)).join(', ')}, found ${describeValue(found)}`,
        },
      ];
    case 'too_small': {
      const what = issue.origin === 'array' ? 'items' : issue.origin === 'string' ? 'characters' : '';
      const custom = issue.message && !issue.message.startsWith('Too small') ? `${issue.message}, ` : '';
      return [
        {
          severity: 'error',
          path,
          message: custom
            ? `${custom}found ${describeValue(found)}`
            : `expected at least ${String(issue.minimum)}${what ? ` ${what}` : ''}, found ${describeValue(found)}`,
        },
      ];
    }
    case 'too_big': {
      const what = issue.origin === 'array' ? 'items' : issue.origin === 'string' ? 'characters' : '';
      return [
        {
          severity: 'error',
          path,
          message: `expected at most ${String(issue.maximum)}${what ? ` ${what}` : ''}, found ${describeValue(found)}`,
        },
      ];
    }
    case 'invalid_format':
    case 'custom':
      return [{ severity: 'error', path, message: `${issue.message}, found ${describeValue(found)}` }];
    case 'invalid_key':
      return [
        { severity: 'error', path, message: `invalid key: ${issue.issues.map((i) => i.message).join('; ')}` },
      ];
    case 'invalid_union':
    case 'invalid_element':
    case 'not_multiple_of':
      return [{ severity: 'error', path, message: `${issue.message}, found ${describeValue(found)}` }];
  }
}

/** Validates a parsed (plain JS) document. Positions are not known here. */
export function validateCluster(data: unknown): { cluster?: Neo4jCluster; problems: Problem[] } {
  const parsed = Neo4jClusterSchema.safeParse(data);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.flatMap((i) => issueToProblems(i, data))),
    ...crossFieldProblems(data),
  ];
  // One problem per path and message, in document order of discovery.
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const k = `${p.severity}|${p.path.join('\u0000')}|${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  if (parsed.success && !hasErrors(unique)) return { cluster: parsed.data, problems: unique };
  return { problems: unique };
}

/**
 * The source node of a path: the key for unknown keys and for objects and lists (their key line
 * reads best), the value for scalars, and the nearest existing ancestor for a missing key.
 */
function locate(doc: Document, path: readonly PathSegment[], preferKey: boolean): Node | undefined {
  let node: unknown = doc.contents;
  let best: Node | undefined = (node as Node | null) ?? undefined;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) return best;
      const value = pair.value as Node | null;
      const keyFirst = (i === path.length - 1 && preferKey) || isMap(value) || isSeq(value) || value === null;
      best = keyFirst ? (pair.key as Node) : (value ?? undefined);
      node = value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      if (node === undefined) return best;
      best = node as Node;
    } else return best;
  }
  return best;
}

/** Parses and validates every document in `text`. */
export function parseClusterText(text: string, source: string): DocumentResult[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  if (list.length === 0)
    return [
      {
        source,
        index: 0,
        problems: [
          {
            severity: 'error',
            path: [],
            message: 'expected a Neo4jCluster document, found an empty file',
            line: 1,
            column: 1,
          },
        ],
      },
    ];
  return list.map((doc, index) => {
    const pos = (offset: number): { line: number; column: number } => {
      const p = lineCounter.linePos(offset);
      return { line: p.line, column: p.col };
    };
    if (doc.errors.length > 0) {
      return {
        source,
        index,
        problems: doc.errors.map((e) => ({
          severity: 'error' as const,
          path: [],
          message: `not valid YAML or JSON: ${e.message.split('\n')[0] ?? e.code}`,
          ...pos(e.pos[0]),
        })),
      };
    }
    const data: unknown = doc.toJS({ maxAliasCount: 100 });
    const { cluster, problems } = validateCluster(data);
    const located = problems.map((p) => {
      const unknownKey = p.message.startsWith('unknown key') || p.message.startsWith('a plain password');
      const node = locate(doc, p.path, unknownKey);
      const range = node?.range;
      return range ? { ...p, ...pos(range[0]) } : { ...p, line: 1, column: 1 };
    });
    located.sort((a, b) => a.line - b.line || a.column - b.column);
    return cluster ? { source, index, cluster, problems: located } : { source, index, problems: located };
  });
}

/** The JSON Schema (draft 2020-12) of the document as written, for editors. */
export function clusterJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(Neo4jClusterSchema, { io: 'input', target: 'draft-2020-12' });
  return {
    ...schema,
    $id: 'https://neo4j-ecs.io/schemas/v1alpha1/neo4jcluster.json',
    title: 'Neo4jCluster',
    description:
      'Desired state of a Neo4j Enterprise cluster on Amazon ECS, reconciled by neo4j-ecs-operator.',
  };
}
