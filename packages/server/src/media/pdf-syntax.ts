import { constants, inflateSync } from 'node:zlib';

// The small part of PDF syntax (ISO 32000-1, 7.2–7.4) that reading the page tree needs.

/** A PDF name (`/Type`). */
export class Name {
  constructor(readonly value: string) {}
}
/** An indirect reference (`12 0 R`); generation numbers do not matter for reading. */
export class Ref {
  constructor(readonly num: number) {}
}
/** A bare keyword (`obj`, `stream`, `xref`, `trailer`, `n` …). */
export class Keyword {
  constructor(readonly value: string) {}
}
/** Any parsed PDF object. Strings are kept as raw bytes; nothing here needs their content. */
export type Value = number | boolean | null | Name | Ref | Keyword | Buffer | Value[] | Dict;
/** A PDF dictionary. */
export type Dict = Map<string, Value>;

/** The parse ran off the end of the bytes read so far: read a bigger window and retry. */
export class NeedMore extends Error {}

const WHITESPACE = new Set([0, 9, 10, 12, 13, 32]);
const DELIMITERS = new Set([...'()<>[]{}/%'].map((c) => c.charCodeAt(0)));
const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)$/;
const MAX_INFLATED = 64 * 1024 * 1024;

/**
 * A tokenizer and object parser over bytes of the file. `complete` says the bytes end where the
 * data ends (an object stream, the file's tail); otherwise running out of bytes means NeedMore.
 */
export class Lexer {
  constructor(
    readonly buf: Buffer,
    readonly complete: boolean,
    public pos = 0,
  ) {}

  #at(pos: number): number {
    if (pos >= this.buf.length) throw new NeedMore();
    return this.buf[pos] as number;
  }

  skipSpace(): void {
    for (;;) {
      const c = this.#at(this.pos);
      if (WHITESPACE.has(c)) this.pos++;
      else if (c === 0x25) while (this.#at(this.pos) !== 10 && this.#at(this.pos) !== 13) this.pos++;
      else return;
    }
  }

  #regular(): string {
    const start = this.pos;
    for (;;) {
      if (this.pos >= this.buf.length && this.complete) break;
      const c = this.#at(this.pos);
      if (WHITESPACE.has(c) || DELIMITERS.has(c)) break;
      this.pos++;
    }
    return this.buf.toString('latin1', start, this.pos);
  }

  value(): Value {
    this.skipSpace();
    const c = this.#at(this.pos);
    if (c === 0x2f) {
      this.pos++;
      return new Name(this.#regular());
    }
    if (c === 0x5b) return this.#array();
    if (c === 0x3c && this.#at(this.pos + 1) === 0x3c) return this.#dict();
    if (c === 0x3c || c === 0x28) return this.#string(c);
    if (DELIMITERS.has(c)) throw new Error(`unexpected ${String.fromCharCode(c)}`);
    const token = this.#regular();
    if (INTEGER.test(token)) return this.#maybeRef(Number(token));
    if (NUMBER.test(token)) return Number(token);
    if (token === 'true' || token === 'false') return token === 'true';
    return token === 'null' ? null : new Keyword(token);
  }

  /** `12 0 R` is a reference; `12 0 obj` and plain `12` are not. */
  #maybeRef(num: number): Value {
    const after = this.pos;
    try {
      this.skipSpace();
      if (INTEGER.test(this.#regular())) {
        this.skipSpace();
        if (this.#regular() === 'R') return new Ref(num);
      }
    } catch (err) {
      if (!(err instanceof NeedMore) || !this.complete) throw err;
    }
    this.pos = after;
    return num;
  }

  #array(): Value[] {
    this.pos++;
    const items: Value[] = [];
    for (;;) {
      this.skipSpace();
      if (this.#at(this.pos) === 0x5d) {
        this.pos++;
        return items;
      }
      items.push(this.value());
    }
  }

  #dict(): Dict {
    this.pos += 2;
    const dict: Dict = new Map();
    for (;;) {
      this.skipSpace();
      if (this.#at(this.pos) === 0x3e && this.#at(this.pos + 1) === 0x3e) {
        this.pos += 2;
        return dict;
      }
      const key = this.value();
      if (!(key instanceof Name)) throw new Error('dictionary key is not a name');
      dict.set(key.value, this.value());
    }
  }

  /** Skips a literal `( … )` (nested parentheses, escapes) or hex `< … >` string. */
  #string(open: number): Buffer {
    const start = this.pos;
    if (open === 0x3c) {
      while (this.#at(this.pos) !== 0x3e) this.pos++;
      this.pos++;
      return this.buf.subarray(start, this.pos);
    }
    let depth = 0;
    do {
      const c = this.#at(this.pos++);
      if (c === 0x5c) this.#at(this.pos++);
      else if (c === 0x28) depth++;
      else if (c === 0x29) depth--;
    } while (depth > 0);
    return this.buf.subarray(start, this.pos);
  }
}

/** Narrows a value to a dictionary. */
export const isDict = (v: Value | undefined): v is Dict => v instanceof Map;
/** The value as an integer, or null. */
export const integer = (v: Value | undefined): number | null =>
  typeof v === 'number' && Number.isInteger(v) ? v : null;

/** Undoes `/FlateDecode` (with PNG predictors, as xref streams use); other filters are refused. */
export function decode(dict: Dict, raw: Buffer): Buffer {
  const filter = dict.get('Filter');
  const filters = filter === undefined ? [] : Array.isArray(filter) ? filter : [filter];
  if (filters.length === 0) return raw;
  if (filters.length > 1 || !(filters[0] instanceof Name) || filters[0].value !== 'FlateDecode') {
    throw new Error('unsupported filter');
  }
  // Z_SYNC_FLUSH tolerates streams cut short by their writer, which viewers accept too.
  const data = inflateSync(raw, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: MAX_INFLATED });
  const parms = dict.get('DecodeParms');
  const p = Array.isArray(parms) ? parms[0] : parms;
  const predictor = isDict(p) ? (integer(p.get('Predictor')) ?? 1) : 1;
  if (predictor === 1) return data;
  if (predictor < 10 || !isDict(p)) throw new Error('unsupported predictor');
  const colors = integer(p.get('Colors')) ?? 1;
  const bits = integer(p.get('BitsPerComponent')) ?? 8;
  const bytesPerPixel = Math.max(1, Math.ceil((colors * bits) / 8));
  return unpredictPng(data, Math.ceil(((integer(p.get('Columns')) ?? 1) * colors * bits) / 8), bytesPerPixel);
}

/** Reverses the PNG row filters (None, Sub, Up, Average, Paeth). */
function unpredictPng(data: Buffer, rowLength: number, bpp: number): Buffer {
  const rows = Math.floor(data.length / (rowLength + 1));
  const out = Buffer.alloc(rows * rowLength);
  for (let r = 0; r < rows; r++) {
    const type = data[r * (rowLength + 1)];
    for (let i = 0; i < rowLength; i++) {
      const x = data[r * (rowLength + 1) + 1 + i] as number;
      const left = i >= bpp ? (out[r * rowLength + i - bpp] as number) : 0;
      const up = r > 0 ? (out[(r - 1) * rowLength + i] as number) : 0;
      const upLeft = r > 0 && i >= bpp ? (out[(r - 1) * rowLength + i - bpp] as number) : 0;
      let predicted = 0;
      if (type === 1) predicted = left;
      else if (type === 2) predicted = up;
      else if (type === 3) predicted = Math.floor((left + up) / 2);
      else if (type === 4) predicted = paeth(left, up, upLeft);
      else if (type !== 0) throw new Error('bad PNG filter');
      out[r * rowLength + i] = (x + predicted) & 0xff;
    }
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}
