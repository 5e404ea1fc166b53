/** Async key-value storage for the outbox and the sync cursor (memory, IndexedDB, a file …). */
export interface ClientStorage {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys starting with `prefix`, in insertion order. */
  keys(prefix: string): Promise<string[]>;
}

/** The minimal WebSocket the SDK needs: the browser's, Node 22's global, or the `ws` package. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount?: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

/** A WebSocket constructor. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Options of `new KurierClient(...)`. */
export interface ClientOptions {
  /** Server origin, e.g. `https://chat.example.com`. */
  baseUrl: string;
  /** Session token, if already logged in. */
  token?: string;
  /** Where outbox and cursor live; defaults to memory (lost on restart). */
  storage?: ClientStorage;
  /** WebSocket implementation; defaults to `globalThis.WebSocket` (pass `ws` on Node 20). */
  WebSocket?: WebSocketConstructor;
  /** Reconnect backoff bounds in ms. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Keepalive ping interval in ms (0 disables). */
  pingIntervalMs?: number;
  /** Coalesce delivered receipts per conversation for this long (ms). */
  receiptDelayMs?: number;
  /** Set false to leave receipts to the app. */
  autoDeliveredReceipts?: boolean;
}

/** In-memory storage: the default, and what Node tests use. */
export class MemoryStorage implements ClientStorage {
  readonly #map = new Map<string, string>();

  async get(key: string): Promise<string | null> {
    return this.#map.get(key) ?? null;
  }

  async set(key: string, value: string): Promise<void> {
    this.#map.set(key, value);
  }

  async delete(key: string): Promise<void> {
    this.#map.delete(key);
  }

  async keys(prefix: string): Promise<string[]> {
    return [...this.#map.keys()].filter((k) => k.startsWith(prefix));
  }
}
