import type { ClientFrame, ServerFrame } from '@kurier/protocol';
import { decode, encode } from './codec.js';
import type { WebSocketConstructor, WebSocketLike } from './options.js';

/** Where the connection is; walked with an exhaustive switch. */
export type ConnectionState =
  | { status: 'idle' }
  | { status: 'connecting'; attempt: number }
  | { status: 'open' }
  | { status: 'waiting'; attempt: number; retryInMs: number }
  | { status: 'closed'; reason: 'closed-by-client' | 'unauthenticated' | 'incompatible' };

interface ConnectionEvents {
  onOpen(): void;
  onFrame(frame: ServerFrame): void;
  onState(state: ConnectionState): void;
}

// Close codes after which retrying cannot help.
const FATAL_CLOSE: Record<number, 'unauthenticated' | 'incompatible'> = {
  4401: 'unauthenticated',
  4426: 'incompatible',
};

/** One logical connection: opens sockets, reconnects with jittered exponential backoff, pings. */
export class Connection {
  #state: ConnectionState = { status: 'idle' };
  #socket: WebSocketLike | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #ping: ReturnType<typeof setInterval> | null = null;
  readonly #url: string;
  readonly #WebSocket: WebSocketConstructor;
  readonly #events: ConnectionEvents;
  readonly #backoff: { initialMs: number; maxMs: number };
  readonly #pingIntervalMs: number;
  #corked = false;

  constructor(opts: {
    url: string;
    WebSocket: WebSocketConstructor;
    events: ConnectionEvents;
    backoff: { initialMs: number; maxMs: number };
    pingIntervalMs: number;
  }) {
    this.#url = opts.url;
    this.#WebSocket = opts.WebSocket;
    this.#events = opts.events;
    this.#backoff = opts.backoff;
    this.#pingIntervalMs = opts.pingIntervalMs;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** True when frames can be sent. */
  get isOpen(): boolean {
    return this.#state.status === 'open';
  }

  start(): void {
    if (this.#state.status === 'idle' || this.#state.status === 'closed') this.#open(1);
  }

  /** Sends a frame if open; returns false otherwise (the caller keeps it for resend). */
  send(frame: ClientFrame): boolean {
    if (!this.#socket || this.#state.status !== 'open') return false;
    this.#cork(this.#socket);
    this.#socket.send(encode(frame));
    return true;
  }

  /**
   * On Node the `ws` package writes every frame with a system call of its own. Holding its TCP
   * socket until the tick ends sends a burst (the next messages after a read full of acks, an
   * outbox flush) in one write, as `mqtt`'s client does. Browsers batch their sockets themselves.
   */
  #cork(socket: WebSocketLike): void {
    if (this.#corked) return;
    const tcp = (socket as { _socket?: { cork(): void; uncork(): void } })._socket;
    const tick = (globalThis as { process?: { nextTick(fn: () => void): void } }).process?.nextTick;
    if (!tcp || !tick) return;
    this.#corked = true;
    tcp.cork();
    tick(() => {
      this.#corked = false;
      tcp.uncork();
    });
  }

  /** Drops the current socket and reconnects at once (e.g. the network came back). */
  reconnectNow(): void {
    if (this.#state.status === 'closed') return;
    this.#teardown();
    this.#open(1);
  }

  stop(reason: 'closed-by-client' | 'unauthenticated' | 'incompatible' = 'closed-by-client'): void {
    this.#teardown();
    this.#setState({ status: 'closed', reason });
  }

  #setState(state: ConnectionState): void {
    this.#state = state;
    this.#events.onState(state);
  }

  #open(attempt: number): void {
    this.#setState({ status: 'connecting', attempt });
    let socket: WebSocketLike;
    try {
      socket = new this.#WebSocket(this.#url);
    } catch {
      this.#retry(attempt);
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      this.#setState({ status: 'open' });
      if (this.#pingIntervalMs > 0) {
        this.#ping = setInterval(() => this.send({ type: 'ping' }), this.#pingIntervalMs);
      }
      this.#events.onOpen();
    };
    socket.onmessage = (ev) => {
      const frame = decode(ev.data);
      if (frame) this.#events.onFrame(frame);
    };
    socket.onerror = () => {};
    socket.onclose = (ev) => {
      if (this.#socket !== socket) return;
      this.#clearTimers();
      this.#socket = null;
      const fatal = FATAL_CLOSE[ev.code];
      if (fatal) this.#setState({ status: 'closed', reason: fatal });
      else if (this.#state.status !== 'closed') this.#retry(this.#state.status === 'open' ? 1 : attempt + 1);
    };
  }

  #retry(attempt: number): void {
    const base = Math.min(this.#backoff.maxMs, this.#backoff.initialMs * 2 ** (attempt - 1));
    // Full jitter spreads a reconnect storm after a server restart.
    const retryInMs = Math.round(base / 2 + Math.random() * (base / 2));
    this.#setState({ status: 'waiting', attempt, retryInMs });
    this.#timer = setTimeout(() => this.#open(attempt), retryInMs);
  }

  #clearTimers(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#ping) clearInterval(this.#ping);
    this.#timer = null;
    this.#ping = null;
  }

  #teardown(): void {
    this.#clearTimers();
    const socket = this.#socket;
    this.#socket = null;
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      try {
        socket.close(1000);
      } catch {
        // already closing
      }
    }
  }
}
