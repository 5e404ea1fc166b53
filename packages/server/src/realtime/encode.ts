import type { Message, ServerFrame } from '@kurier/protocol';

// A send's ack and its live change carry the same message object (the writer hands both the
// object the commit created), so its JSON is made once and shared. Serializing was a sixth of
// the event loop's time at saturation (docs/benchmarks.md, 2026-12-04). Messages are never
// changed once published: a later state is a new object. The JSON is kept on the object, not in
// a WeakMap: a scavenge keeps an old-space WeakMap's values alive while their keys die, which
// copied every JSON of the last ~150 ms at each scavenge (decisions/2026-12-06-gc-pretenuring.md).
// Not enumerable: spreads, JSON and structured clones never see it.
const JSON_KEY = Symbol('json');
type Cached = Message & { [JSON_KEY]?: string };

/** `message` with its JSON as made once (here, or on the SQLite thread), so frames do not make it again. */
export function withJson(message: Message, json: string): Message {
  Object.defineProperty(message, JSON_KEY, { value: json });
  return message;
}

function jsonOf(message: Message): string {
  const cached = message as Cached;
  let json = cached[JSON_KEY];
  if (json === undefined) {
    json = JSON.stringify(message);
    if (Object.isExtensible(cached)) withJson(cached, json);
  }
  return json;
}

/** A server frame as JSON: what `JSON.stringify` gives, made faster for the hot shapes. */
export function encodeFrame(frame: ServerFrame): string {
  if (frame.type === 'ack' && frame.message && typeof frame.id === 'string') {
    const head = `{"type":"ack","id":${JSON.stringify(frame.id)},"message":${jsonOf(frame.message)}`;
    return frame.cursor === undefined ? `${head}}` : `${head},"cursor":${frame.cursor}}`;
  }
  if (frame.type === 'changes' && frame.changes.length === 1) {
    const [change] = frame.changes;
    if (change?.kind === 'message') {
      return `{"type":"changes","changes":[{"kind":"message","message":${jsonOf(change.message)}}],"cursor":${frame.cursor},"live":${frame.live},"done":${frame.done}}`;
    }
  }
  return JSON.stringify(frame);
}
