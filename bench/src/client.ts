import { newClientMsgId } from '@kurier/sdk';
import WebSocket from 'ws';

/** A frame as the bench reads it (the generator does not validate: it only counts). */
export type Frame = Record<string, unknown> & { type: string };

/**
 * A raw protocol client: the same code drives Kurier and the baseline. Thousands of these run in
 * one process, so it is deliberately thinner than the SDK.
 */
export class BenchClient {
  readonly ws: WebSocket;
  onFrame: (frame: Frame, raw: string) => void = () => {};
  /** When set, frames are not parsed: saturation scenarios only need to recognise and count. */
  onRaw: ((raw: string) => void) | null = null;
  /** The server's head at welcome: where this device would resume from. */
  cursor = 0;
  #next = 0;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      const raw = String(data);
      if (this.onRaw) this.onRaw(raw);
      else this.onFrame(JSON.parse(raw) as Frame, raw);
    });
  }

  /** Opens a socket, says hello and resolves on welcome (and on `done` when a cursor is given). */
  static async connect(
    url: string,
    token: string,
    opts: { cursor?: number; onFrame?: (frame: Frame, raw: string) => void } = {},
  ): Promise<BenchClient> {
    const { cursor } = opts;
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const client = new BenchClient(ws);
    await new Promise<void>((resolve) => {
      client.onFrame = (f) => {
        if (f.type !== 'welcome') return;
        client.cursor = f.cursor as number;
        // Catch-up frames can arrive in the same read as the welcome: hand over right here.
        client.onFrame = opts.onFrame ?? (() => {});
        resolve();
      };
      ws.send(
        JSON.stringify({ type: 'hello', protocolVersion: 1, token, ...(cursor !== undefined ? { cursor } : {}) }),
      );
    });
    return client;
  }

  /** Sends a text message; `stamp` is put in the text so the receiver can measure latency. */
  send(conversationId: string, text: string): void {
    this.#next += 1;
    const id = `r${this.#next}`;
    this.ws.send(JSON.stringify({ type: 'send', id, conversationId, clientMsgId: newClientMsgId(), text }));
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Opens many clients with bounded concurrency (a connect storm of our own would skew setup). */
export async function connectAll(url: string, tokens: string[], concurrency = 64): Promise<BenchClient[]> {
  const out: BenchClient[] = new Array(tokens.length);
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < tokens.length) {
        const k = i++;
        out[k] = await BenchClient.connect(url, tokens[k] as string);
      }
    }),
  );
  return out;
}

/** A 200-byte body with a send timestamp at the front. */
export function body(stamp: number): string {
  const head = `${stamp.toFixed(3)}|`;
  return head + 'x'.repeat(200 - head.length);
}

/** Percentile of a numeric sample (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/**
 * Counts the messages a raw frame delivers without parsing it (the generator must stay cheap):
 * message changes, and the ack with a cursor that stands in its change's place for the sender's
 * connection (rule M12). Message objects carry no "cursor" key, and a quote inside text is escaped.
 */
export function countMessages(raw: string): number {
  if (isAck(raw)) return cursorOf(raw) === null ? 0 : 1;
  if (!raw.startsWith('{"type":"changes"')) return 0;
  let n = 0;
  for (let i = raw.indexOf('"kind":"message"'); i !== -1; i = raw.indexOf('"kind":"message"', i + 1)) n++;
  return n;
}

/** True for an ack frame. */
export const isAck = (raw: string) => raw.startsWith('{"type":"ack"');

/** The cursor of a raw `changes` frame or of an ack in a change's place; null when it has none. */
export function cursorOf(raw: string): number | null {
  // The frame's cursor comes after its changes or message.
  const at = raw.lastIndexOf('"cursor":');
  return at === -1 ? null : Number.parseInt(raw.slice(at + 9), 10);
}
