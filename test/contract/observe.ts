/**
 * Runs one contract probe through neo4j-driver and turns the answer into a plain, JSON-serialisable
 * observation: column names in order, the value type of each column as the driver returns it (Integer,
 * Float, String, Boolean, Null, List<...>, Map{...}, Node, DateTime, ...), rows with run-specific values
 * blanked, the summary's query type and database, or the exact error (code, message, GQL status).
 *
 * Observations of the real server are the fixtures in test/fixtures/neo4j-5.26-community/; observations
 * of the simulated members are compared with them.
 */
import neo4j from 'neo4j-driver';
import type { Driver, QueryResult, RecordShape, Result } from 'neo4j-driver';
import type { Probe } from './probes.js';

/** Stands for the Bolt address (`host:port`) of the server that answered. */
export const ADDRESS_PLACEHOLDER = '<bolt-address>';
/** Stands for a run-specific value (ids, times, transaction ids). */
export const VOLATILE_PLACEHOLDER = '<volatile>';

export interface RecordsObservation {
  outcome: 'records';
  columns: string[];
  /** Column → the types seen in it across all rows (`A | B` when they differ); absent with no rows. */
  columnTypes: Record<string, string>;
  rowCount: number;
  rows: Record<string, unknown>[];
  summary: { queryType: string; database: string | null; updates: Record<string, number> };
}

export interface ErrorObservation {
  outcome: 'error';
  error: {
    code: string;
    message: string;
    gqlStatus: string;
    gqlStatusDescription: string;
    classification: string;
  };
}

export type Observation = RecordsObservation | ErrorObservation;

export interface ObservedProbe {
  probe: string;
  purpose: string;
  query: string;
  params?: Record<string, unknown>;
  database: string;
  transaction: string;
  observation: Observation;
}

/**
 * The type name of one value as the driver hands it over. Lists and maps are described by their
 * contents so the shape of nested answers (the routing table's `servers`) is compared too.
 */
export function typeOf(value: unknown): string {
  if (value === null || value === undefined) return 'Null';
  if (neo4j.isInt(value)) return 'Integer';
  if (typeof value === 'number') return 'Float';
  if (typeof value === 'string') return 'String';
  if (typeof value === 'boolean') return 'Boolean';
  if (typeof value === 'bigint') return 'BigInt';
  if (value instanceof Uint8Array) return 'Bytes';
  if (Array.isArray(value)) {
    const inner = unionOf(value.map(typeOf));
    return `List<${inner}>`;
  }
  const special = graphOrTemporalType(value);
  if (special !== undefined) return special;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}: ${typeOf(v)}`);
    return `Map{${entries.join(', ')}}`;
  }
  return typeof value;
}

function graphOrTemporalType(value: unknown): string | undefined {
  const checks: [string, (v: unknown) => boolean][] = [
    ['Node', neo4j.isNode],
    ['Relationship', neo4j.isRelationship],
    ['Path', neo4j.isPath],
    ['Point', neo4j.isPoint],
    ['Date', neo4j.isDate],
    ['DateTime', neo4j.isDateTime],
    ['LocalDateTime', neo4j.isLocalDateTime],
    ['Time', neo4j.isTime],
    ['LocalTime', neo4j.isLocalTime],
    ['Duration', neo4j.isDuration],
  ];
  return checks.find(([, is]) => is(value))?.[0];
}

/** `A | B` of the distinct names, in a stable order; `Nothing` for none (an empty list). */
export function unionOf(types: string[]): string {
  const distinct = [...new Set(types)].sort();
  return distinct.length === 0 ? 'Nothing' : distinct.join(' | ');
}

/** The JSON form of a value, with the answering server's address replaced by a placeholder. */
export function plain(value: unknown, address: string): unknown {
  if (value === null || value === undefined) return null;
  if (neo4j.isInt(value)) return value.toNumber();
  if (typeof value === 'string') return value.split(address).join(ADDRESS_PLACEHOLDER);
  if (typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => plain(v, address));
  if (neo4j.isNode(value)) {
    return { labels: value.labels, properties: plain(value.properties, address) };
  }
  // Temporal, spatial and graph values print in their Cypher form (e.g. 2026-01-01T00:00:00Z).
  if (graphOrTemporalType(value) !== undefined) return (value as { toString(): string }).toString();
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, plain(v, address)]),
  );
}

/** Observes one probe on `driver`, whose server advertises `address` (`host:port`). */
export async function observeProbe(driver: Driver, probe: Probe, address: string): Promise<ObservedProbe> {
  const base = {
    probe: probe.id,
    purpose: probe.purpose,
    query: probe.query,
    ...(probe.params !== undefined ? { params: probe.params } : {}),
    database: probe.database,
    transaction: probe.transaction,
  };
  const session = driver.session({ database: probe.database });
  try {
    const answer = await runIn(session, probe);
    return { ...base, observation: recordsObservation(answer, probe, address) };
  } catch (e) {
    return { ...base, observation: errorObservation(e) };
  } finally {
    await session.close();
  }
}

interface Answer {
  keys: string[];
  result: QueryResult<RecordShape>;
}

async function runIn(session: ReturnType<Driver['session']>, probe: Probe): Promise<Answer> {
  if (probe.transaction === 'auto-commit') return answerOf(session.run(probe.query, probe.params ?? {}));
  const tx = await session.beginTransaction();
  try {
    const answer = await answerOf(tx.run(probe.query, probe.params ?? {}));
    await tx.commit();
    return answer;
  } finally {
    if (tx.isOpen()) await tx.rollback();
  }
}

/** The column names come from RUN SUCCESS `fields`, so they are known even with no rows. */
async function answerOf(run: Result): Promise<Answer> {
  const keys = (await run.keys()).map(String);
  return { keys, result: await run };
}

function recordsObservation(
  { keys: columns, result }: Answer,
  probe: Probe,
  address: string,
): RecordsObservation {
  const volatile = new Set(probe.volatileColumns ?? []);
  const columnTypes: Record<string, string> = {};
  if (result.records.length > 0) {
    for (const c of columns) columnTypes[c] = unionOf(result.records.map((r) => typeOf(r.get(c))));
  }
  const rows = result.records.map((r) =>
    Object.fromEntries(
      columns.map((c) => [c, volatile.has(c) ? VOLATILE_PLACEHOLDER : plain(r.get(c), address)]),
    ),
  );
  const updates = Object.fromEntries(
    Object.entries(result.summary.counters.updates()).filter(([, n]) => n !== 0),
  );
  return {
    outcome: 'records',
    columns,
    columnTypes,
    rowCount: result.records.length,
    rows,
    summary: {
      queryType: String(result.summary.queryType),
      database: result.summary.database.name ?? null,
      updates,
    },
  };
}

export function errorObservation(e: unknown): ErrorObservation {
  const err = e as Partial<Record<string, unknown>>;
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  return {
    outcome: 'error',
    error: {
      code: str(err['code']),
      message: str(err['message']),
      gqlStatus: str(err['gqlStatus']),
      gqlStatusDescription: str(err['gqlStatusDescription']),
      classification: str(err['classification']),
    },
  };
}
