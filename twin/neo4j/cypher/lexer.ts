/**
 * Tokeniser for the Cypher subset the simulated members understand. Keywords are not special here:
 * they are identifiers that the parser compares case-insensitively, as Cypher does. Every token keeps
 * its source offsets so that an unaliased RETURN item can be named by its text, as Neo4j names it.
 */
import { errors } from '../errors.js';

export type TokenKind = 'ident' | 'string' | 'int' | 'float' | 'param' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Identifier text (unquoted), string contents, number text, parameter name, or the punctuation. */
  text: string;
  /** True for a `backtick-quoted` identifier, which is never a keyword. */
  quoted?: boolean;
  start: number;
  end: number;
}

const PUNCT = [
  '<>',
  '!=',
  '<=',
  '>=',
  '=~',
  '..',
  '+=',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  '.',
  ';',
  '*',
  '+',
  '-',
  '/',
  '%',
  '=',
  '<',
  '>',
  '|',
  '^',
];

function isIdentStart(c: string): boolean {
  return /[A-Za-z_\u00c0-\uffff]/.test(c);
}
function isIdentPart(c: string): boolean {
  return /[A-Za-z0-9_\u00c0-\uffff]/.test(c);
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };

/** Reads a quoted string literal starting at `i` (the quote); returns its value and the index after it. */
function readString(src: string, i: number, fail: (msg: string) => never): { text: string; end: number } {
  const quote = src[i];
  let s = '';
  i++;
  for (;;) {
    if (i >= src.length) fail('Unterminated string literal');
    const d = src[i] as string;
    if (d === quote) return { text: s, end: i + 1 };
    if (d !== '\\') {
      s += d;
      i++;
      continue;
    }
    const e = src[i + 1];
    i += 2;
    if (e === undefined) fail('Unterminated string literal');
    if (e === 'u') {
      const hex = src.slice(i, i + 4);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('Invalid unicode escape');
      s += String.fromCharCode(parseInt(hex, 16));
      i += 4;
    } else s += ESCAPES[e] ?? e;
  }
}

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const fail = (msg: string): never => {
    throw errors.syntax(src, msg);
  };
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const endC = src.indexOf('*/', i + 2);
      if (endC < 0) fail('Unterminated comment');
      i = endC + 2;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"') {
      const lit = readString(src, i, fail);
      out.push({ kind: 'string', text: lit.text, start, end: lit.end });
      i = lit.end;
      continue;
    }
    if (c === '`') {
      const endQ = src.indexOf('`', i + 1);
      if (endQ < 0) fail('Unterminated quoted identifier');
      out.push({ kind: 'ident', text: src.slice(i + 1, endQ), quoted: true, start, end: endQ + 1 });
      i = endQ + 1;
      continue;
    }
    if (c === '$') {
      i++;
      const ps = i;
      if (src[i] === '`') {
        const endQ = src.indexOf('`', i + 1);
        if (endQ < 0) fail('Unterminated quoted parameter');
        out.push({ kind: 'param', text: src.slice(i + 1, endQ), start, end: endQ + 1 });
        i = endQ + 1;
        continue;
      }
      while (i < src.length && isIdentPart(src[i] as string)) i++;
      if (i === ps) fail("Invalid input '$'");
      out.push({ kind: 'param', text: src.slice(ps, i), start, end: i });
      continue;
    }
    if (/[0-9]/.test(c)) {
      while (i < src.length && /[0-9]/.test(src[i] as string)) i++;
      let isFloat = false;
      if (src[i] === '.' && /[0-9]/.test(src[i + 1] ?? '')) {
        isFloat = true;
        i++;
        while (i < src.length && /[0-9]/.test(src[i] as string)) i++;
      }
      if ((src[i] === 'e' || src[i] === 'E') && /[-+0-9]/.test(src[i + 1] ?? '')) {
        isFloat = true;
        i += 2;
        while (i < src.length && /[0-9]/.test(src[i] as string)) i++;
      }
      out.push({ kind: isFloat ? 'float' : 'int', text: src.slice(start, i), start, end: i });
      continue;
    }
    if (isIdentStart(c)) {
      while (i < src.length && isIdentPart(src[i] as string)) i++;
      out.push({ kind: 'ident', text: src.slice(start, i), start, end: i });
      continue;
    }
    const p = PUNCT.find((q) => src.startsWith(q, i));
    if (!p) fail(`Invalid input '${c}'`);
    out.push({ kind: 'punct', text: p as string, start, end: i + (p as string).length });
    i += (p as string).length;
  }
  out.push({ kind: 'eof', text: '', start: src.length, end: src.length });
  return out;
}
