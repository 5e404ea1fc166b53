import {
  ClientFrame,
  type ClientFrameOf,
  ERRORS,
  type ErrorCode,
  LIMITS,
  type Message,
  PROTOCOL_VERSION,
  type ServerFrame,
} from '@kurier/protocol';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { AccountsService } from '../accounts/service.js';
import type { ConversationsService } from '../conversations/service.js';
import type { Actor } from '../kernel/auth.js';
import type { Bus } from '../kernel/bus.js';
import { KurierError, toKurierError } from '../kernel/errors.js';
import { containsNul, NUL_MESSAGE } from '../kernel/input.js';
import type { MessagesService } from '../messages/service.js';
import type { SyncService } from '../sync/service.js';
import { encodeFrame } from './encode.js';
import type { Hub, HubConnection } from './hub.js';

/** Everything a connection calls into. */
export interface RealtimeDeps {
  accounts: AccountsService;
  conversations: ConversationsService;
  messages: MessagesService;
  sync: SyncService;
  hub: Hub;
  bus: Bus;
  log: FastifyBaseLogger;
  framesPerSecond: number;
  onPresence: (userId: string, online: boolean) => void;
}

type State =
  | { kind: 'awaiting-hello' }
  | { kind: 'authenticating' }
  | { kind: 'syncing'; actor: Actor; buffered: { cursor: number; data: Buffer }[] }
  | { kind: 'live'; actor: Actor }
  | { kind: 'closed' };

const HELLO_TIMEOUT_MS = 10_000;
// Frames are JSON text, also when they are handed over as UTF-8 bytes.
const TEXT = { binary: false } as const;
const KNOWN_TYPES = new Set(ClientFrame.options.map((o) => o.shape.type.value));

/**
 * One WebSocket connection: hello → (catch-up sync) → live. Every bad frame gets a typed error
 * frame and changes nothing; only authentication failures close the socket.
 */
export class RealtimeSession implements HubConnection {
  #state: State = { kind: 'awaiting-hello' };
  readonly #socket: WebSocket;
  readonly #deps: RealtimeDeps;
  // Token bucket for per-connection flood control.
  #tokens: number;
  #refilledAt = Date.now();
  #lastRateError = 0;
  // Cleared and dropped after hello: a kept Timeout object costs every idle connection.
  #helloTimer: NodeJS.Timeout | null;
  #expiryTimer: NodeJS.Timeout | null = null;
  #corked = false;
  /** Highest change id sent on this connection. */
  #position = 0;
  /** This connection's sends awaiting their message, by clientMsgId (rule M12); made at the first. */
  #sending: Map<string, PendingSend> | null = null;

  constructor(socket: WebSocket, deps: RealtimeDeps) {
    this.#socket = socket;
    this.#deps = deps;
    this.#tokens = deps.framesPerSecond * 2;
    this.#helloTimer = setTimeout(() => {
      if (this.#state.kind === 'awaiting-hello') this.#fail('HELLO_REQUIRED', { close: true });
    }, HELLO_TIMEOUT_MS);
    socket.on('message', (data, isBinary) => this.#onMessage(data as Buffer, isBinary));
    socket.on('close', () => this.#onClose());
    socket.on('error', () => {});
  }

  // Set once at hello; kept after close so the hub can still find and remove this connection.
  userId = '';
  sessionId = '';

  deliver(frame: ServerFrame, data: Buffer, created?: Message): void {
    const state = this.#state;
    if (state.kind === 'syncing') {
      if (frame.type === 'changes') state.buffered.push({ cursor: frame.cursor, data });
      else this.#write(data);
    } else if (state.kind === 'live') {
      if (frame.type === 'changes') {
        // A catch-up can read a commit before the writer publishes it; it was sent already.
        if (frame.cursor <= this.#position) return;
        this.#position = frame.cursor;
        if (created && this.#ackInPlace(created, frame.cursor)) return;
      }
      this.#write(data);
    }
  }

  /**
   * The message this connection's send created is answered in its change's place: one frame, the
   * ack with the change's cursor, instead of the change and then the ack (rule M12). Only live:
   * while syncing, changes wait for the catch-up and the ack must not. Sends that found their
   * message stored already (a retry) get a plain ack: no change announces them.
   */
  #ackInPlace(message: Message, cursor: number): boolean {
    if (!this.#sending?.size || message.senderId !== this.userId || message.clientMsgId === null) return false;
    const pending = this.#sending.get(message.clientMsgId);
    if (!pending || pending.answered) return false;
    pending.answered = true;
    this.#send({ type: 'ack', id: pending.id, message, cursor });
    return true;
  }

  /**
   * Writes a frame, corking the TCP socket until the current tick ends: a batch commit sends
   * hundreds of acks and events, and one writev per connection beats one per frame.
   */
  #write(data: string | Buffer): void {
    if (this.#socket.readyState !== this.#socket.OPEN) return;
    const tcp = (this.#socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    if (tcp && !this.#corked) {
      this.#corked = true;
      tcp.cork();
      process.nextTick(() => {
        this.#corked = false;
        tcp.uncork();
      });
    }
    this.#socket.send(data, TEXT);
  }

  /** Writes a frame of UTF-8 bytes; resolves once it has left the process (or the socket is gone). */
  #writeFlushed(data: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      if (this.#socket.readyState !== this.#socket.OPEN) resolve();
      else this.#socket.send(data, TEXT, () => resolve());
    });
  }

  revoke(): void {
    this.#fail('SESSION_EXPIRED', { close: true });
  }

  /** Closes for shutdown; clients reconnect elsewhere or later. */
  shutdown(): void {
    this.#fail('SHUTTING_DOWN', { close: true });
  }

  #actor(): Actor | null {
    const s = this.#state;
    return s.kind === 'syncing' || s.kind === 'live' ? s.actor : null;
  }

  #send(frame: ServerFrame): void {
    this.#write(encodeFrame(frame));
  }

  #fail(code: ErrorCode, opts: { id?: string | null; close?: boolean; message?: string } = {}): void {
    const message = opts.message ?? ERRORS[code].message;
    this.#send({ type: 'error', id: opts.id ?? null, code, message });
    if (opts.close) {
      const spec = ERRORS[code];
      this.#socket.close('close' in spec ? spec.close : code === 'HELLO_REQUIRED' ? 4400 : 1008, code);
      this.#onClose();
    }
  }

  #allowFrame(): boolean {
    const now = Date.now();
    const rate = this.#deps.framesPerSecond;
    this.#tokens = Math.min(rate * 2, this.#tokens + ((now - this.#refilledAt) / 1000) * rate);
    this.#refilledAt = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    return false;
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#state.kind === 'closed') return;
    if (!this.#allowFrame()) {
      // One error per second is enough to tell a flooding client; more would amplify the flood.
      const now = Date.now();
      if (now - this.#lastRateError > 1000) {
        this.#lastRateError = now;
        this.#fail('RATE_LIMITED');
      }
      return;
    }
    const decoded = decodeFrame(data, isBinary);
    if (!decoded.ok) {
      this.#fail(decoded.code, { id: decoded.id, message: decoded.message });
      return;
    }
    const id = 'id' in decoded.frame ? (decoded.frame.id ?? null) : null;
    this.#handle(decoded.frame).catch((err: unknown) => {
      const e = toKurierError(err);
      if (e.code === 'INTERNAL') this.#deps.log.error({ err }, 'ws frame failed');
      this.#fail(e.code, { id, message: e.message });
    });
  }

  async #handle(frame: ClientFrame): Promise<void> {
    const reply = await this.#answer(frame);
    if (reply) this.#send(reply);
  }

  /** Carries out one frame; returns the frame to answer with, if any. */
  async #answer(frame: ClientFrame): Promise<ServerFrame | null> {
    if (frame.type === 'hello') {
      await this.#hello(frame);
      return null;
    }
    if (frame.type === 'ping') return { type: 'pong', id: frame.id, serverTime: Date.now() };
    const actor = this.#actor();
    if (!actor) throw new KurierError(this.#state.kind === 'authenticating' ? 'CONFLICT' : 'HELLO_REQUIRED');
    const { messages } = this.#deps;
    switch (frame.type) {
      case 'send': {
        // A second send of the same clientMsgId while the first is open is answered the usual way.
        const pending: PendingSend = { id: frame.id, answered: false };
        this.#sending ??= new Map();
        const sending = this.#sending;
        const own = !sending.has(frame.clientMsgId);
        if (own) sending.set(frame.clientMsgId, pending);
        try {
          const message = await messages.send(actor, frame);
          return pending.answered ? null : { type: 'ack', id: frame.id, message };
        } finally {
          if (own) sending.delete(frame.clientMsgId);
        }
      }
      case 'edit':
        return { type: 'ack', id: frame.id, message: await messages.edit(actor, frame.messageId, frame.text) };
      case 'delete':
        return { type: 'ack', id: frame.id, message: await messages.delete(actor, frame.messageId) };
      case 'react':
        return { type: 'ack', id: frame.id, message: await messages.react(actor, frame.messageId, frame) };
      case 'receipt':
        await messages.receipt(actor, frame);
        return frame.id ? { type: 'ack', id: frame.id } : null;
      case 'typing':
        await this.#typing(actor, frame);
        return null;
      case 'sync':
        await this.#catchUp(actor, frame.cursor);
        return { type: 'ack', id: frame.id };
    }
  }

  async #typing(actor: Actor, frame: ClientFrameOf<'typing'>): Promise<void> {
    const audience = await this.#deps.conversations.audience(actor, frame.conversationId);
    const others = (frame.note ? audience.staff : audience.all).filter((id) => id !== actor.userId);
    this.#deps.bus.emit('deliver', {
      userIds: others,
      frame: { type: 'typing', conversationId: frame.conversationId, userId: actor.userId, typing: frame.typing },
    });
  }

  async #hello(frame: ClientFrameOf<'hello'>): Promise<void> {
    if (this.#state.kind !== 'awaiting-hello')
      throw new KurierError('CONFLICT', { message: 'hello was already sent.' });
    if (frame.protocolVersion !== PROTOCOL_VERSION) {
      this.#fail('PROTOCOL_VERSION_UNSUPPORTED', { close: true });
      return;
    }
    this.#state = { kind: 'authenticating' };
    let actor: Actor;
    try {
      actor = await this.#deps.accounts.authenticate(frame.token);
    } catch (err) {
      const e = toKurierError(err);
      this.#fail(e.code, { close: true, message: e.message });
      return;
    }
    this.#clearHelloTimer();
    if (this.#socket.readyState !== this.#socket.OPEN) return;
    // A session that expires while connected loses its connection at that moment, not at the
    // next login attempt. setTimeout cannot wait longer than ~24.8 days; re-arm beyond that.
    this.#armExpiry(actor.expiresAt);
    // Register before reading the head: events committed from now on are buffered, none is lost
    // between the catch-up query and going live.
    this.#state = { kind: 'syncing', actor, buffered: [] };
    this.userId = actor.userId;
    this.sessionId = actor.sessionId;
    const first = this.#deps.hub.add(this);
    const head = await this.#deps.sync.head();
    this.#send({
      type: 'welcome',
      protocolVersion: PROTOCOL_VERSION,
      userId: actor.userId,
      sessionId: actor.sessionId,
      cursor: head,
      serverTime: Date.now(),
    });
    if (first) this.#deps.onPresence(actor.userId, true);
    await this.#catchUp(actor, frame.cursor ?? null);
  }

  /** Streams every change after `cursor`, then flushes what arrived live meanwhile, in order. */
  async #catchUp(actor: Actor, cursor: number | null): Promise<void> {
    const state = this.#state;
    if (state.kind === 'live') this.#state = { kind: 'syncing', actor, buffered: [] };
    let position = cursor;
    if (position !== null) {
      // The sync service reads ahead; a page waits for the one before it to leave the process,
      // so a client that reads slowly holds at most three pages here.
      const pages = this.#deps.sync.catchUp(actor.userId, position);
      try {
        let flushed: Promise<void> = Promise.resolve();
        for (;;) {
          const page = await pages.next();
          // Gone meanwhile: the rest of the backlog waits for the next connection.
          if (this.#state.kind === 'closed') return;
          position = page.cursor;
          await flushed;
          flushed = this.#writeFlushed(page.data);
          if (page.done) break;
        }
      } finally {
        pages.end();
      }
    }
    const syncing = this.#state;
    if (syncing.kind !== 'syncing') return;
    if (position !== null) this.#position = Math.max(this.#position, position);
    for (const b of syncing.buffered) {
      if (b.cursor > this.#position) {
        this.#position = b.cursor;
        this.#write(b.data);
      }
    }
    this.#state = { kind: 'live', actor };
  }

  #clearHelloTimer(): void {
    if (this.#helloTimer) clearTimeout(this.#helloTimer);
    this.#helloTimer = null;
  }

  #armExpiry(expiresAt: number): void {
    const wait = Math.min(expiresAt - Date.now(), 2 ** 31 - 1);
    this.#expiryTimer = setTimeout(() => {
      if (Date.now() >= expiresAt) this.#fail('SESSION_EXPIRED', { close: true });
      else this.#armExpiry(expiresAt);
    }, wait);
  }

  #onClose(): void {
    const actor = this.#actor();
    this.#clearHelloTimer();
    if (this.#expiryTimer) clearTimeout(this.#expiryTimer);
    this.#state = { kind: 'closed' };
    if (actor && this.#deps.hub.remove(this)) this.#deps.onPresence(actor.userId, false);
  }
}

/** A `send` of this connection until it is answered; `answered` once its ack went in place. */
interface PendingSend {
  readonly id: string;
  answered: boolean;
}

type Decoded = { ok: true; frame: ClientFrame } | { ok: false; code: ErrorCode; id: string | null; message?: string };

/** Bytes → a valid client frame, or the typed reason it is not one. Never throws. */
function decodeFrame(data: Buffer, isBinary: boolean): Decoded {
  if (data.length > LIMITS.frameBytes) return { ok: false, code: 'FRAME_TOO_LARGE', id: null };
  if (isBinary) return { ok: false, code: 'BAD_REQUEST', id: null, message: 'Frames are JSON text.' };
  let raw: unknown;
  const text = data.toString('utf8');
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, code: 'MALFORMED_JSON', id: null };
  }
  const rawId = (raw as { id?: unknown } | null)?.id;
  const id = typeof rawId === 'string' && rawId.length <= 64 ? rawId : null;
  // JSON can only carry a NUL escaped: the frame's text tells cheaply whether to look closer.
  if (text.includes('\\u0000') && containsNul(raw)) {
    return { ok: false, code: 'VALIDATION_FAILED', id, message: NUL_MESSAGE };
  }
  const parsed = ClientFrame.safeParse(raw);
  if (parsed.success) return { ok: true, frame: parsed.data };
  const type = (raw as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !KNOWN_TYPES.has(type as never)) return { ok: false, code: 'UNKNOWN_FRAME', id };
  const issue = parsed.error.issues[0];
  return {
    ok: false,
    code: 'VALIDATION_FAILED',
    id,
    message: issue ? `${issue.path.join('.') || 'frame'}: ${issue.message}` : undefined,
  };
}
