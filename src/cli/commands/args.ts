/** Argument parsers and process helpers shared by the foreground commands (twin, twin neo4j, demo). */
import { InvalidArgumentError } from 'commander';

/** A whole number from `min` to `max` (digits only: no "1e3", no "0x10"). */
export const wholeNumber =
  (min: number, max: number, what = `a whole number from ${min} to ${max}`) =>
  (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || n < min || n > max) throw new InvalidArgumentError(`must be ${what}`);
    return n;
  };

export const portArg = wholeNumber(0, 65535, 'a port number from 0 to 65535 (0 = any free port)');

export const seedArg = wholeNumber(0, 2 ** 32 - 1);

/** A number above zero, e.g. a time scale. */
export function positiveArg(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number > 0');
  return n;
}

/** Resolves at the first SIGINT or SIGTERM, and stops listening for both. */
export function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

/** Why a listener could not start, in words: a taken port says to try --port 0. */
export function startFailure(e: unknown, port: number): string {
  if ((e as { code?: string }).code === 'EADDRINUSE') return `port ${port} is already in use (try --port 0)`;
  return e instanceof Error ? e.message : String(e);
}
