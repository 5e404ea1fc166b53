import { createReadStream } from 'node:fs';
import { fileTypeFromFile } from 'file-type';
import sharp from 'sharp';
import { pdfPageCount } from './pdf.js';

/** What the bytes of an upload say about themselves. */
export interface Probe {
  mime: string;
  width: number | null;
  height: number | null;
  pageCount: number | null;
  /** A WebP thumbnail for images, not yet stored. */
  thumbnail: Buffer | null;
}

/** Image types that get dimensions and a thumbnail; sharp is never handed anything else. */
const IMAGE_FORMATS: Record<string, string> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
};

/** Longest side of a thumbnail, in pixels. */
export const THUMBNAIL_SIZE = 480;

/**
 * Sniffs a received file: its MIME type from the bytes (file-type; the client's claim is never
 * consulted), then dimensions and a thumbnail for images and the page count for PDFs.
 * Unrecognised bytes are `text/plain` when they are valid UTF-8 without NUL bytes, else
 * `application/octet-stream`. A damaged image or PDF keeps its type but gets no details.
 */
export async function probe(path: string): Promise<Probe> {
  const sniffed = (await fileTypeFromFile(path))?.mime;
  const mime = sniffed ?? ((await isUtf8Text(path)) ? 'text/plain' : 'application/octet-stream');
  const none: Probe = { mime, width: null, height: null, pageCount: null, thumbnail: null };
  if (mime === 'application/pdf') return { ...none, pageCount: await pdfPageCount(path) };
  const format = IMAGE_FORMATS[mime];
  return format ? { ...none, ...(await imageDetails(path, format)) } : none;
}

async function imageDetails(path: string, format: string): Promise<Partial<Probe>> {
  try {
    const meta = await sharp(path).metadata();
    // file-type and libvips agree on the format, or the file is not what it claims to be.
    if (meta.format !== format) return {};
    const thumbnail = await sharp(path)
      .rotate() // bake in the EXIF orientation: the thumbnail shows what viewers show
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 75 })
      .toBuffer();
    return {
      width: meta.autoOrient?.width ?? meta.width ?? null,
      height: meta.autoOrient?.height ?? meta.height ?? null,
      thumbnail,
    };
  } catch {
    return {};
  }
}

/** True when the whole file decodes as UTF-8 and holds no NUL byte (read as a stream). */
async function isUtf8Text(path: string): Promise<boolean> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const chunk of createReadStream(path)) {
      if ((chunk as Buffer).includes(0)) return false;
      decoder.decode(chunk as Buffer, { stream: true });
    }
    decoder.decode();
    return true;
  } catch {
    return false;
  }
}
