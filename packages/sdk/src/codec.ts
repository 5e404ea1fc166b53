import type { ClientFrame, ServerFrame } from '@kurier/protocol';

/** Encodes a client frame for the wire (JSON today; the one place to change for binary). */
export function encode(frame: ClientFrame): string {
  return JSON.stringify(frame);
}

/** Decodes a server frame. The server is trusted; frames are not re-validated on the hot path. */
export function decode(data: unknown): ServerFrame | null {
  if (typeof data !== 'string') {
    if (data instanceof ArrayBuffer) return decode(new TextDecoder().decode(data));
    if (ArrayBuffer.isView(data)) return decode(new TextDecoder().decode(data as Uint8Array));
    return null;
  }
  try {
    const frame = JSON.parse(data) as ServerFrame;
    return typeof frame === 'object' && frame !== null && typeof frame.type === 'string' ? frame : null;
  } catch {
    return null;
  }
}
