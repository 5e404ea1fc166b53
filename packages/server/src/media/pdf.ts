import { type FileHandle, open } from 'node:fs/promises';
import { type Dict, decode, integer, isDict, Keyword, Lexer, Name, NeedMore, Ref, type Value } from './pdf-syntax.js';

/**
 * The page count of a PDF, read the way a viewer does: `startxref` → cross-reference sections
 * (classic tables and compressed xref streams, following `/Prev` and `/XRefStm`) → trailer
 * `/Root` → `/Pages` → `/Count`, fetching objects from object streams where needed. Counting
 * `/Type /Page` in the bytes would miss pages inside compressed object streams and count pages
 * that incremental updates replaced. Reads only the parts it needs (random access, never the whole
 * file). Returns null for anything it cannot read with confidence (damaged offsets, filters other
 * than Flate, encrypted object streams). Never throws.
 */
export async function pdfPageCount(path: string): Promise<number | null> {
  let file: FileHandle | null = null;
  try {
    file = await open(path, 'r');
    const reader = new PdfReader(file, (await file.stat()).size);
    return await reader.pageCount();
  } catch {
    return null;
  } finally {
    await file?.close();
  }
}

type Entry = { offset: number } | { stream: number; index: number };

const MAX_WINDOW = 32 * 1024 * 1024;
const MAX_SECTIONS = 64;
const MAX_OBJECTS = 256;

/** Random access to one PDF: cross-reference entries, objects, object streams. */
class PdfReader {
  readonly #entries = new Map<number, Entry>();
  readonly #objectStreams = new Map<number, { data: Buffer; offsets: Map<number, number> }>();
  #loads = 0;

  constructor(
    readonly file: FileHandle,
    readonly size: number,
  ) {}

  async pageCount(): Promise<number | null> {
    const tailLength = Math.min(this.size, 4096);
    const tail = Buffer.alloc(tailLength);
    await this.file.read(tail, 0, tailLength, this.size - tailLength);
    const text = tail.toString('latin1');
    const match = /^startxref\s+(\d+)/.exec(text.slice(text.lastIndexOf('startxref')));
    if (!match) return null;
    const trailer = await this.#readSections(Number(match[1]));
    const catalog = await this.#resolve(trailer.get('Root'));
    const pages = isDict(catalog) ? await this.#resolve(catalog.get('Pages')) : null;
    const count = isDict(pages) ? integer(await this.#resolve(pages.get('Count'))) : null;
    return count !== null && count >= 0 && count < 10_000_000 ? count : null;
  }

  /** Parses `parse` over a window at `offset`, growing the window while the parse needs more. */
  async #window<T>(offset: number, parse: (lexer: Lexer) => T): Promise<T> {
    for (let length = 64 * 1024; ; length *= 4) {
      const n = Math.min(length, this.size - offset);
      if (offset < 0 || n <= 0) throw new Error('offset outside the file');
      const buf = Buffer.alloc(n);
      await this.file.read(buf, 0, n, offset);
      const complete = n === this.size - offset;
      try {
        return parse(new Lexer(buf, complete));
      } catch (err) {
        if (!(err instanceof NeedMore) || complete || length >= MAX_WINDOW) throw err;
      }
    }
  }

  /** Walks the cross-reference sections from the newest; returns the newest trailer. */
  async #readSections(start: number): Promise<Dict> {
    const pending = [start];
    const seen = new Set<number>();
    let newest: Dict | null = null;
    while (pending.length > 0 && seen.size < MAX_SECTIONS) {
      const offset = pending.shift() as number;
      if (seen.has(offset)) continue;
      seen.add(offset);
      const trailer = await this.#readSection(offset);
      newest ??= trailer;
      // A hybrid file's xref stream sits between this section and the older ones.
      const older = [integer(trailer.get('XRefStm')), integer(trailer.get('Prev'))].filter((o) => o !== null);
      pending.unshift(...older);
    }
    if (!newest) throw new Error('no cross-reference section');
    return newest;
  }

  async #readSection(offset: number): Promise<Dict> {
    const classic = await this.#window(offset, (lexer) => {
      const first = lexer.value();
      if (!(first instanceof Keyword) || first.value !== 'xref') return null;
      for (;;) {
        const next = lexer.value();
        if (next instanceof Keyword && next.value === 'trailer') return lexer.value();
        const from = integer(next);
        const count = integer(lexer.value());
        if (from === null || count === null) throw new Error('bad xref subsection');
        for (let i = 0; i < count; i++) {
          const at = integer(lexer.value());
          lexer.value();
          const kind = lexer.value();
          if (at !== null && kind instanceof Keyword && kind.value === 'n') this.#record(from + i, { offset: at });
        }
      }
    });
    if (classic !== null) {
      if (!isDict(classic)) throw new Error('trailer is not a dictionary');
      return classic;
    }
    const { dict, data } = await this.#indirect(offset, null);
    const type = dict.get('Type');
    if (!data || !(type instanceof Name) || type.value !== 'XRef') throw new Error('not an xref stream');
    this.#recordStream(dict, data);
    return dict;
  }

  /** Newer sections are read first, so the first in-use entry for a number wins. */
  #record(num: number, entry: Entry): void {
    if (!this.#entries.has(num)) this.#entries.set(num, entry);
  }

  #recordStream(dict: Dict, data: Buffer): void {
    const widths = dict.get('W');
    if (!Array.isArray(widths) || widths.length !== 3) throw new Error('bad /W');
    const [w0, w1, w2] = widths.map((w) => integer(w) ?? -1) as [number, number, number];
    if (Math.min(w0, w1, w2) < 0) throw new Error('bad /W');
    const index = dict.get('Index') ?? [0, integer(dict.get('Size')) ?? 0];
    if (!Array.isArray(index)) throw new Error('bad /Index');
    let p = 0;
    const field = (width: number, fallback: number) => {
      if (width === 0) return fallback;
      if (p + width > data.length) throw new Error('xref stream too short');
      let n = 0;
      for (let i = 0; i < width; i++) n = n * 256 + (data[p++] as number);
      return n;
    };
    for (let s = 0; s + 1 < index.length; s += 2) {
      const from = integer(index[s]) ?? 0;
      const count = integer(index[s + 1]) ?? 0;
      for (let i = 0; i < count; i++) {
        const [type, a, b] = [field(w0, 1), field(w1, 0), field(w2, 0)];
        if (type === 1) this.#record(from + i, { offset: a });
        else if (type === 2) this.#record(from + i, { stream: a, index: b });
      }
    }
  }

  /** Reads `num gen obj <value> [stream … endstream]` at `offset`; streams come decoded. */
  async #indirect(offset: number, expected: number | null): Promise<{ dict: Dict; value: Value; data: Buffer | null }> {
    const head = await this.#window(offset, (lexer) => {
      const num = lexer.value();
      lexer.value();
      const keyword = lexer.value();
      if (!(keyword instanceof Keyword) || keyword.value !== 'obj') throw new Error('not an object');
      if (expected !== null && num !== expected) throw new Error('xref points at another object');
      const value = lexer.value();
      if (!isDict(value)) return { value, streamAt: null };
      lexer.skipSpace();
      const start = lexer.pos;
      const next = lexer.value();
      if (!(next instanceof Keyword) || next.value !== 'stream') return { value, streamAt: null };
      // The data starts after the end-of-line that follows the keyword, never after more space.
      let at = start + 'stream'.length;
      if (lexer.buf[at] === 13) at++;
      if (lexer.buf[at] === 10) at++;
      return { value, streamAt: offset + at };
    });
    const dict = isDict(head.value) ? head.value : new Map<string, Value>();
    if (head.streamAt === null) return { dict, value: head.value, data: null };
    const length = integer(await this.#resolve(dict.get('Length')));
    if (length === null || length < 0 || head.streamAt + length > this.size) throw new Error('bad stream length');
    const raw = Buffer.alloc(length);
    await this.file.read(raw, 0, length, head.streamAt);
    return { dict, value: head.value, data: decode(dict, raw) };
  }

  async #resolve(value: Value | undefined): Promise<Value | undefined> {
    if (!(value instanceof Ref)) return value;
    if (++this.#loads > MAX_OBJECTS) throw new Error('too many object loads');
    const entry = this.#entries.get(value.num);
    if (!entry) throw new Error(`object ${value.num} not in the xref`);
    if ('offset' in entry) return (await this.#indirect(entry.offset, value.num)).value;
    const stream = await this.#objectStream(entry.stream);
    const at = stream.offsets.get(value.num);
    if (at === undefined) throw new Error(`object ${value.num} not in its object stream`);
    return new Lexer(stream.data, true, at).value();
  }

  async #objectStream(num: number): Promise<{ data: Buffer; offsets: Map<number, number> }> {
    const cached = this.#objectStreams.get(num);
    if (cached) return cached;
    const entry = this.#entries.get(num);
    if (!entry || !('offset' in entry)) throw new Error('object stream not found');
    const { dict, data } = await this.#indirect(entry.offset, num);
    const n = integer(dict.get('N'));
    const first = integer(dict.get('First'));
    if (!data || n === null || first === null) throw new Error('bad object stream');
    const header = new Lexer(data, true);
    const offsets = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const objNum = integer(header.value());
      const rel = integer(header.value());
      if (objNum === null || rel === null) throw new Error('bad object stream header');
      offsets.set(objNum, first + rel);
    }
    const stream = { data, offsets };
    this.#objectStreams.set(num, stream);
    return stream;
  }
}
