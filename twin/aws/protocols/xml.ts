/**
 * A small XML writer for the twin's response encoders. Three list styles cover the AWS protocols:
 * `member` (awsQuery: `<Names><member>a</member></Names>`), `item` (ec2Query: `<volumeSet><item>…`)
 * and `flat` (restXml S3: the element repeats, `<Contents>…</Contents><Contents>…</Contents>`).
 * `Date` values become ISO-8601 (millisecond precision), `undefined`/`null` members are left out,
 * `Buffer`s become base64 (awsQuery blobs).
 */

export type ListStyle = 'member' | 'item' | 'flat';

export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#xD;');
}

export function xmlScalar(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (typeof v === 'string') return escapeXml(v);
  if (typeof v === 'number')
    return Number.isFinite(v) ? String(v) : v > 0 ? 'Infinity' : v < 0 ? '-Infinity' : 'NaN';
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return escapeXml(JSON.stringify(v));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' && v !== null && !(v instanceof Date) && !Buffer.isBuffer(v) && !Array.isArray(v)
  );
}

/** Serialises `value` as the children of an element (no enclosing element). */
export function xmlChildren(value: unknown, style: ListStyle): string {
  if (!isPlainObject(value)) return value === undefined || value === null ? '' : xmlScalar(value);
  let out = '';
  for (const [name, v] of Object.entries(value)) out += xmlElement(name, v, style);
  return out;
}

/** Serialises one named element holding `value`. */
export function xmlElement(name: string, value: unknown, style: ListStyle): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) {
    if (style === 'flat') return value.map((v) => xmlElement(name, v, style)).join('');
    const child = style === 'member' ? 'member' : 'item';
    const inner = value.map((v) => xmlElement(child, v, style)).join('');
    return `<${name}>${inner}</${name}>`;
  }
  if (isPlainObject(value)) return `<${name}>${xmlChildren(value, style)}</${name}>`;
  return `<${name}>${xmlScalar(value)}</${name}>`;
}

export const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>';
