/** Identifier helpers drawn from a seeded Rng, so request ids, version ids and ARN suffixes are reproducible. */
import type { Rng } from '../../core/rng.js';

/** A UUID-shaped (version 4 layout) id. */
export function uuid(rng: Rng): string {
  const h = rng.hex(32);
  const variant = ((parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `len` characters of [A-Za-z0-9]. */
export function alnum(rng: Rng, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += ALNUM[Math.floor(rng.next() * ALNUM.length)];
  return s;
}
