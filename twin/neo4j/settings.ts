/**
 * The dynamic settings a simulated member lets `dbms.setConfigValue` change (Enterprise, not
 * persisted: a restart clears them), and what `dbms.listConfig` reports for them.
 *
 * The one that matters: `server.databases.default_to_read_only=true` makes every user database on
 * the server read-only, and the cluster then moves their leaderships away (neo4j-ops.md §2).
 */
import { errors } from './errors.js';
import type { ServerRec } from './cluster.js';

export interface Setting {
  name: string;
  description: string;
  defaultValue: string;
  validValues: string;
  read(s: ServerRec): string;
  write(s: ServerRec, value: string): void;
}

function bool(name: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw errors.procedureCallFailed(
    `Failed to invoke procedure \`dbms.setConfigValue\`: Caused by: java.lang.IllegalArgumentException: '${value}' is not a valid boolean value for ${name}`,
  );
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((x) => x.trim().toLowerCase())
    .filter((x) => x.length > 0);
}

export const SETTINGS: Setting[] = [
  {
    name: 'server.databases.default_to_read_only',
    description: 'Whether or not any database on this instance are read_only by default.',
    defaultValue: 'false',
    validValues: 'a boolean',
    read: (s) => String(s.readOnlyDefault),
    write: (s, v) => {
      s.readOnlyDefault = bool('server.databases.default_to_read_only', v);
    },
  },
  {
    name: 'server.databases.read_only',
    description: 'List of databases for which to prevent write queries.',
    defaultValue: '',
    validValues: 'a list of database names',
    read: (s) => [...s.readOnlyDbs].sort().join(','),
    write: (s, v) => {
      s.readOnlyDbs = new Set(list(v));
    },
  },
];

export function applySetting(s: ServerRec, name: string, value: string): void {
  const setting = SETTINGS.find((x) => x.name === name);
  if (!setting) {
    throw errors.procedureCallFailed(
      `Failed to invoke procedure \`dbms.setConfigValue\`: Caused by: java.lang.IllegalArgumentException: Setting '${name}' is unknown or not dynamic in the simulated member (dynamic: ${SETTINGS.map((x) => x.name).join(', ')})`,
    );
  }
  setting.write(s, value);
}
