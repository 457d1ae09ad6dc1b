/**
 * The twin's control API: inspection (health, world snapshot, call log, world log, clock) and fault
 * injection (server faults here, world faults delegated to the compute simulation's control
 * operations). The same operations are offered over HTTP under `/_twin/…` (JSON) and to TypeScript as
 * `run(op, input)`. Reference: docs/twin.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { VirtualClock } from '../core/clock.js';
import type { WorldLog } from '../core/world-log.js';
import type { CallFilter, CallLog } from './call-log.js';
import { AwsError, type OperationContext, type OperationHandler } from './contract.js';
import { type FaultControl, type FaultSpec, FaultSpecError } from './faults.js';

export interface ControlTarget {
  clock: VirtualClock;
  world: WorldLog;
  calls: CallLog;
  faults: FaultControl;
  /** What GET /_twin/health reports. */
  info(): Record<string, unknown>;
  snapshot(): unknown;
  /** World operations of the compute simulation (failAz, killTask, …). */
  worldOps: Readonly<Record<string, OperationHandler>>;
  context(): OperationContext;
}

export class ControlError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

export interface Control {
  /** Runs a control operation (a built-in or a compute world operation). */
  run(op: string, input?: Record<string, unknown>): Promise<unknown>;
  /** Names of every operation `run` accepts. */
  operations(): string[];
  handleHttp(req: IncomingMessage, url: URL, body: Buffer, res: ServerResponse): Promise<void>;
}

function num(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw new ControlError('InvalidParameter', `${name} must be a number`);
  return n;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function callFilter(input: Record<string, unknown>): CallFilter {
  const f: CallFilter = {};
  const service = str(input['service']);
  const operation = str(input['operation']);
  const since = num(input['since'], 'since');
  const sinceTime = num(input['sinceTime'], 'sinceTime');
  const error = str(input['error']);
  if (service !== undefined) f.service = service;
  if (operation !== undefined) f.operation = operation;
  if (since !== undefined) f.sinceSeq = since;
  if (sinceTime !== undefined) f.sinceTime = sinceTime;
  if (error !== undefined) f.error = error;
  if (input['failed'] === true || input['failed'] === 'true') f.failed = true;
  if (input['failed'] === false || input['failed'] === 'false') f.failed = false;
  return f;
}

function limited<T>(items: T[], limit: number | undefined): T[] {
  return limit !== undefined && limit >= 0 ? items.slice(-limit) : items;
}

/** JSON for the control API: Maps become objects, Sets arrays, Buffers base64. */
export function controlJson(value: unknown): string {
  return JSON.stringify(value, function (this: unknown, key: string, v: unknown): unknown {
    const orig = (this as Record<string, unknown>)[key];
    if (orig instanceof Map) return Object.fromEntries(orig as Map<string, unknown>);
    if (orig instanceof Set) return [...(orig as Set<unknown>)];
    if (Buffer.isBuffer(orig)) return orig.toString('base64');
    return v;
  });
}

export function createControl(target: ControlTarget): Control {
  const builtins: Record<string, (input: Record<string, unknown>) => unknown> = {
    health: () => target.info(),
    snapshot: () => target.snapshot(),
    calls: (input) => {
      const calls = limited(target.calls.list(callFilter(input)), num(input['limit'], 'limit'));
      return { calls, lastSeq: target.calls.lastSeq() };
    },
    clearCalls: () => {
      target.calls.clear();
      return {};
    },
    worldLog: (input) => {
      const since = num(input['since'], 'since') ?? 0;
      const events = target.world.list(str(input['kind'])).filter((e) => e.seq > since);
      return { events: limited(events, num(input['limit'], 'limit')) };
    },
    listFaults: () => ({ faults: target.faults.list() }),
    addFault: (input) => {
      try {
        return { fault: target.faults.add(input as unknown as FaultSpec) };
      } catch (e) {
        if (e instanceof FaultSpecError) throw new ControlError('InvalidFault', e.message);
        throw e;
      }
    },
    removeFault: (input) => {
      const id = str(input['id']);
      if (id === undefined) throw new ControlError('InvalidParameter', 'id is required');
      if (!target.faults.remove(id)) throw new ControlError('NotFound', `no fault ${id}`, 404);
      return {};
    },
    clearFaults: () => {
      target.faults.clear();
      return {};
    },
    clock: () => clockInfo(target.clock),
    advanceClock: async (input) => {
      const ms = num(input['ms'] ?? input['advanceMs'], 'ms');
      if (ms === undefined || ms < 0)
        throw new ControlError('InvalidParameter', 'ms (virtual milliseconds >= 0) is required');
      if (target.clock.mode !== 'manual') {
        throw new ControlError(
          'ClockNotManual',
          'the clock runs scaled; only a manual clock can be advanced',
          409,
        );
      }
      await target.clock.advance(ms);
      return clockInfo(target.clock);
    },
  };

  async function run(op: string, input: Record<string, unknown> = {}): Promise<unknown> {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new ControlError('InvalidParameter', 'the input must be a JSON object');
    }
    const builtin = Object.hasOwn(builtins, op) ? builtins[op] : undefined;
    if (builtin) return await builtin(input);
    const world = Object.hasOwn(target.worldOps, op) ? target.worldOps[op] : undefined;
    if (world) return await world(input, target.context());
    throw new ControlError(
      'UnknownOperation',
      `unknown control operation ${op}; known: ${operations().join(', ')}`,
      404,
    );
  }

  function operations(): string[] {
    return [...Object.keys(builtins), ...Object.keys(target.worldOps)].sort();
  }

  type Route = (
    query: Record<string, string>,
    body: Record<string, unknown>,
    rest: string,
  ) => Promise<unknown>;
  /** `METHOD path` → handler; `rest` is what follows `faults/` or `control/`. */
  const routes: Record<string, Route> = {
    'GET health': () => run('health'),
    'GET snapshot': () => run('snapshot'),
    'GET calls': (q) => run('calls', q),
    'DELETE calls': () => run('clearCalls'),
    'GET world-log': (q) => run('worldLog', q),
    'GET clock': () => run('clock'),
    'POST clock': (_q, b) =>
      b['advanceMs'] !== undefined || b['ms'] !== undefined ? run('advanceClock', b) : run('clock'),
    'GET faults': () => run('listFaults'),
    'POST faults': (_q, b) => postFaults(b),
    'DELETE faults': () => run('clearFaults'),
    'DELETE faults/': (_q, _b, rest) => run('removeFault', { id: rest }),
    'GET control': () => Promise.resolve({ operations: operations() }),
    'POST control/': (_q, b, rest) => run(rest, b),
  };

  async function routeHttp(
    method: string,
    path: string,
    q: URLSearchParams,
    body: Record<string, unknown>,
  ): Promise<unknown> {
    const slash = path.indexOf('/');
    const head = slash >= 0 ? path.slice(0, slash + 1) : path;
    const rest = slash >= 0 ? decodeURIComponent(path.slice(slash + 1)) : '';
    const handler = routes[`${method} ${head}`];
    if (handler) return handler(Object.fromEntries(q.entries()), body, rest);
    const base = head.replace(/\/$/, '');
    if (Object.keys(routes).some((k) => k.split(' ')[1]?.replace(/\/$/, '') === base)) {
      throw new ControlError('MethodNotAllowed', `${method} /_twin/${path} is not supported`, 405);
    }
    throw new ControlError('NotFound', `no control endpoint /_twin/${path}`, 404);
  }

  /** POST /_twin/faults: `{kind, …}` adds one, `{set: [...]}` adds several, `{clear: true | id}` clears. */
  async function postFaults(body: Record<string, unknown>): Promise<unknown> {
    const clear = body['clear'];
    if (clear === true || clear === 'all') return run('clearFaults');
    if (typeof clear === 'string') return run('removeFault', { id: clear });
    if (Array.isArray(body['set'])) {
      const added: unknown[] = [];
      for (const spec of body['set'] as unknown[]) {
        const r = (await run('addFault', spec as Record<string, unknown>)) as { fault: unknown };
        added.push(r.fault);
      }
      return { faults: added };
    }
    return run('addFault', body);
  }

  async function handleHttp(
    req: IncomingMessage,
    url: URL,
    body: Buffer,
    res: ServerResponse,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/^\/_twin\/?/, '').replace(/\/$/, '');
    let status = 200;
    let payload: unknown;
    try {
      let parsed: Record<string, unknown> = {};
      const text = body.toString('utf8').trim();
      if (text !== '') {
        try {
          parsed = JSON.parse(text) as Record<string, unknown>;
        } catch {
          throw new ControlError('MalformedJson', 'the request body is not valid JSON');
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new ControlError('InvalidParameter', 'the request body must be a JSON object');
      }
      payload = (await routeHttp(method, path, url.searchParams, parsed)) ?? {};
    } catch (e) {
      if (e instanceof ControlError) {
        status = e.status;
        payload = { error: { code: e.code, message: e.message } };
      } else if (e instanceof AwsError) {
        status = e.status;
        payload = { error: { code: e.code, message: e.message } };
      } else {
        status = 500;
        payload = { error: { code: 'InternalError', message: e instanceof Error ? e.message : String(e) } };
      }
    }
    const text = controlJson(payload);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
    });
    res.end(text);
  }

  return { run, operations, handleHttp };
}

function clockInfo(clock: VirtualClock): Record<string, unknown> {
  return {
    now: clock.now(),
    iso: new Date(clock.now()).toISOString(),
    mode: clock.mode,
    timeScale: clock.timeScale,
    pendingTimers: clock.pending(),
  };
}
