/** Opaque pagination tokens for the twin's services: base64url JSON, checked on the way back in. */
import { AwsError } from '../contract.js';

export function encodeToken(state: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(state)).toString('base64url');
}

/** Decodes a token made by `encodeToken`, or throws `new AwsError(code, message)`. */
export function decodeToken(
  token: string,
  code: string,
  message = 'The specified token is invalid.',
): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new AwsError(code, message);
}

/** A page of `items` from offset `start` with at most `size` items, and the next offset if more remain. */
export function page<T>(items: readonly T[], start: number, size: number): { items: T[]; next?: number } {
  const slice = items.slice(start, start + size);
  return start + size < items.length ? { items: slice, next: start + size } : { items: slice };
}
