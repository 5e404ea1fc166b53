import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** A PNG of random pixels (random, so it does not compress to nothing and thumbnails are smaller). */
export function noisePng(width: number, height: number): Promise<Buffer> {
  return sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** A JPEG stored landscape with EXIF orientation 6: viewers show it rotated, portrait. */
export function rotatedJpeg(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 20, g: 120, b: 200 } } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

const pageObject = (parent: number) => `<< /Type /Page /Parent ${parent} 0 R /MediaBox [0 0 595 842] >>`;

/** Concatenates PDF pieces, remembering each object's byte offset. */
class PdfWriter {
  readonly parts: Buffer[] = [];
  readonly offsets = new Map<number, number>();
  length = 0;

  add(data: string | Buffer): void {
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    this.parts.push(buf);
    this.length += buf.length;
  }

  object(num: number, body: string | (string | Buffer)[]): void {
    this.offsets.set(num, this.length);
    this.add(`${num} 0 obj\n`);
    for (const piece of typeof body === 'string' ? [body] : body) this.add(piece);
    this.add('\nendobj\n');
  }

  classicXref(nums: number[], trailer: string): number {
    const at = this.length;
    this.add('xref\n');
    for (const num of nums) {
      this.add(`${num} 1\n`);
      if (num === 0) this.add('0000000000 65535 f \n');
      else this.add(`${String(this.offsets.get(num)).padStart(10, '0')} 00000 n \n`);
    }
    this.add(`trailer\n${trailer}\nstartxref\n${at}\n%%EOF\n`);
    return at;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/**
 * A small valid PDF with a classic cross-reference table. With `addedPage` an incremental update
 * appends a page and a new page tree root (a second xref section pointing back with /Prev).
 */
export function classicPdf(pages: number, opts: { addedPage?: boolean } = {}): Buffer {
  const w = new PdfWriter();
  w.add('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n');
  const kids = Array.from({ length: pages }, (_, i) => i + 3);
  w.object(1, '<< /Type /Catalog /Pages 2 0 R >>');
  w.object(2, `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${pages} >>`);
  for (const kid of kids) w.object(kid, pageObject(2));
  const size = pages + 3;
  const first = w.classicXref([0, 1, 2, ...kids], `<< /Size ${size} /Root 1 0 R >>`);
  if (!opts.addedPage) return w.bytes();
  const added = size;
  w.object(added, pageObject(2));
  w.object(2, `<< /Type /Pages /Kids [${[...kids, added].map((k) => `${k} 0 R`).join(' ')}] /Count ${pages + 1} >>`);
  w.classicXref([2, added], `<< /Size ${added + 1} /Root 1 0 R /Prev ${first} >>`);
  return w.bytes();
}

/**
 * A PDF 1.5 whose catalog, page tree and pages all sit in a Flate-compressed object stream,
 * indexed by a cross-reference stream with a PNG "Up" predictor: nothing about pages is
 * readable in the raw bytes.
 */
export function compressedPdf(pages: number): Buffer {
  const kids = Array.from({ length: pages }, (_, i) => i + 3);
  const objects = new Map<number, string>([
    [1, '<< /Type /Catalog /Pages 2 0 R >>'],
    [2, `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${pages} >>`],
    ...kids.map((k) => [k, pageObject(2)] as [number, string]),
  ]);
  let body = '';
  const header: string[] = [];
  for (const [num, text] of objects) {
    header.push(`${num} ${body.length}`);
    body += `${text}\n`;
  }
  const head = `${header.join(' ')}\n`;
  const packed = deflateSync(Buffer.from(head + body, 'latin1'));
  const stream = pages + 3;
  const xref = pages + 4;
  const w = new PdfWriter();
  w.add('%PDF-1.5\n%\xe2\xe3\xcf\xd3\n');
  w.object(stream, [
    `<< /Type /ObjStm /N ${objects.size} /First ${head.length} /Length ${packed.length} /Filter /FlateDecode >>\nstream\n`,
    packed,
    '\nendstream',
  ]);
  const xrefAt = w.length;
  const rows: number[][] = [[0, 0, 0xffff]];
  [...objects.keys()].forEach((_, i) => {
    rows.push([2, stream, i]);
  });
  rows.push([1, w.offsets.get(stream) as number, 0], [1, xrefAt, 0]);
  const packedRows = deflateSync(pngUp(rows.map(([type, field, index]) => row(type ?? 0, field ?? 0, index ?? 0))));
  w.object(xref, [
    `<< /Type /XRef /Size ${xref + 1} /W [1 4 2] /Root 1 0 R /Length ${packedRows.length} /Filter /FlateDecode /DecodeParms << /Columns 7 /Predictor 12 >> >>\nstream\n`,
    packedRows,
    '\nendstream',
  ]);
  w.add(`startxref\n${xrefAt}\n%%EOF\n`);
  return w.bytes();
}

function row(type: number, field: number, index: number): Buffer {
  const buf = Buffer.alloc(7);
  buf.writeUInt8(type, 0);
  buf.writeUInt32BE(field, 1);
  buf.writeUInt16BE(index, 5);
  return buf;
}

/** PNG-predicts rows with the "Up" filter, as PDF writers do for xref streams. */
function pngUp(rows: Buffer[]): Buffer {
  return Buffer.concat(
    rows.map((r, i) => {
      const prev = rows[i - 1] ?? Buffer.alloc(r.length);
      return Buffer.concat([Buffer.from([2]), Buffer.from(r.map((b, j) => (b - (prev[j] as number)) & 0xff))]);
    }),
  );
}
