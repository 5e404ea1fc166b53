import { KurierClient, MemoryStorage } from '@kurier/sdk';
import WebSocket from 'ws';
import { BenchClient, countMessages, cursorOf, isAck } from '../client.js';
import { Target, type TargetKind } from '../target.js';
import { cpuOf, type PeerClient, type PeerSetup, type PeerSystem, type PeerWorld } from './system.js';

const NAMES: Record<TargetKind, string> = { kurier: 'kurier', baseline: 'plain-ws', 'durable-baseline': 'durable-ws' };
const DESCRIPTIONS: Record<TargetKind, string> = {
  kurier: 'Kurier, SQLite WAL, ack and delivery after an fsync’d group commit, session tokens, WebSocket',
  baseline: 'minimal relay on plain `ws`: token lookup, no validation, no storage',
  'durable-baseline':
    'the plain-ws relay plus an append-only log, ack and delivery after its fdatasync (group commit): durability alone',
};

/**
 * How the generator speaks Kurier's protocol. `sdk`: `@kurier/sdk`, as an app runs it (outbox,
 * sync position, events; the issue's choice, as `mqtt` and `@xmpp/client` are the peers'). `wire`:
 * the bench's thin client, which only counts frames, to tell the server's cost from the client's.
 */
export type KurierDriver = 'sdk' | 'wire';

/**
 * Kurier (durable: acknowledged and delivered only after an fsync'd group commit, SQLite WAL),
 * the plain-ws relay (no storage) or the durable relay, each in its own process as in
 * `npm run bench`. All speak Kurier's protocol, so one client drives them all.
 */
export function kurierSystem(
  kind: TargetKind,
  o: {
    /** The caller's server (`npm run bench`): start and stop leave it alone. */
    running?: Target;
    driver?: KurierDriver;
    /** The SDK's delivered receipts on, as an app runs it (Kurier only: the relays ignore them). */
    receipts?: boolean;
  } = {},
): PeerSystem {
  const { running, driver = 'sdk', receipts = false } = o;
  let target: Target | null = running ?? null;
  const started = () => {
    if (!target) throw new Error(`${kind} is not started`);
    return target;
  };
  return {
    name: NAMES[kind],
    description: DESCRIPTIONS[kind],
    storesOffline: kind === 'kurier',
    async start() {
      if (!running) target = await Target.start(kind);
    },
    async stop() {
      if (running) return;
      await target?.stop();
      target = null;
    },
    rss: async () => (await started().memory()).rss,
    cpuSeconds: () => cpuOf(started().pid),
    diagnostics: () => started().writerStats(),
    async setup(setup: PeerSetup): Promise<PeerWorld> {
      const t = started();
      // Idle connections need sessions, not people: 5,000 scrypt hashes would take minutes, so
      // they are 500 accounts with 10 devices each. The server restarts afterwards, because
      // scrypt's freed 16 MiB buffers stay in malloc's arenas and would hide the sockets' cost.
      const idle = setup.pairs.length === 0 && setup.groups.length === 0 && setup.users > 100;
      const devices = idle ? 10 : 1;
      const provisioned = await t.provision({
        users: Math.ceil(setup.users / devices),
        devicesPerUser: devices,
        conversations: [
          ...setup.pairs.map((members) => ({ members })),
          ...setup.groups.map((members) => ({ members })),
        ],
      });
      if (idle) await t.restart();
      // A device that reconnects resumes from where it left: its cursor at the last close.
      const cursors = new Map<number, number>();
      const storages = new Map<number, MemoryStorage>();
      return {
        pairAddress: provisioned.conversationIds.slice(0, setup.pairs.length),
        groupAddress: provisioned.conversationIds.slice(setup.pairs.length),
        async connect(user, opts = {}) {
          const token = provisioned.tokens[Math.floor(user / devices)]?.[user % devices] as string;
          if (driver === 'sdk') {
            // The SDK keeps its cursor in its storage: a persistent device keeps its storage.
            let storage = opts.persistent ? storages.get(user) : undefined;
            if (!storage) {
              storage = new MemoryStorage();
              if (opts.persistent) storages.set(user, storage);
            }
            return SdkPeer.connect({ baseUrl: t.httpUrl, token, storage, receipts, onCount: opts.onCount });
          }
          const resume = opts.persistent ? cursors.get(user) : undefined;
          const peer = new KurierPeer((cursor) => {
            if (opts.persistent) cursors.set(user, cursor);
          });
          if (opts.onCount) peer.onCount = opts.onCount;
          // Catch-up frames can share a read with the welcome: the handler is in place before it.
          const onFrame = (_f: unknown, raw: string) => peer.handle(raw);
          const client = await BenchClient.connect(t.url, token, {
            onFrame,
            ...(resume !== undefined ? { cursor: resume } : {}),
          });
          peer.attach(client);
          return peer;
        },
      };
    },
  };
}

/**
 * `@kurier/sdk` as a PeerClient. Delivered receipts are off unless asked for: the peers' scenarios
 * carry messages only (an MQTT PUBACK or an XMPP stream ack is a transport's ack, not a receipt to
 * the sender), and with them the relays, which ignore receipts, would do less work than Kurier.
 */
class SdkPeer implements PeerClient {
  onCount: (n: number) => void = () => {};
  onBody: ((body: string) => void) | null = null;
  readonly #client: KurierClient;
  readonly #answers = new Answers();

  private constructor(client: KurierClient) {
    this.#client = client;
    client.on('message', (message, { isNew }) => {
      // Its own messages come back in their acks (rule M12); only arrivals count.
      if (!isNew || message.senderId === client.userId) return;
      this.onCount(1);
      this.onBody?.(message.text ?? '');
    });
  }

  /** Resolves once connected and caught up; `onCount` sees the catch-up's messages too. */
  static async connect(o: {
    baseUrl: string;
    token: string;
    storage: MemoryStorage;
    receipts: boolean;
    onCount?: ((n: number) => void) | undefined;
  }): Promise<SdkPeer> {
    const { baseUrl, token, storage, receipts, onCount } = o;
    const client = new KurierClient({
      baseUrl,
      token,
      storage,
      WebSocket: WebSocket as never,
      autoDeliveredReceipts: receipts,
    });
    const peer = new SdkPeer(client);
    if (onCount) peer.onCount = onCount;
    await client.connect();
    return peer;
  }

  send(to: string, body: string): void {
    this.#answers.sent();
    this.#client.send(to, body).then(
      () => this.#answers.answered(),
      (err: unknown) => this.#answers.answered(err),
    );
  }

  flush(): Promise<void> {
    return this.#answers.all();
  }

  async close(): Promise<void> {
    this.#client.close();
  }
}

/** The thin protocol client as a PeerClient: counts message changes, tracks acks for flush. */
class KurierPeer implements PeerClient {
  onCount: (n: number) => void = () => {};
  onBody: ((body: string) => void) | null = null;
  #client: BenchClient | null = null;
  readonly #answers = new Answers();
  #cursor = 0;
  readonly #onClose: (cursor: number) => void;

  constructor(onClose: (cursor: number) => void) {
    this.#onClose = onClose;
  }

  attach(client: BenchClient): void {
    this.#client = client;
    this.#cursor = Math.max(this.#cursor, client.cursor);
    client.onRaw = (raw) => this.handle(raw);
  }

  send(to: string, body: string): void {
    this.#answers.sent();
    this.#client?.send(to, body);
  }

  flush(): Promise<void> {
    return this.#answers.all();
  }

  async close(): Promise<void> {
    this.#onClose(this.#cursor);
    this.#client?.close();
  }

  handle(raw: string): void {
    const cursor = cursorOf(raw);
    if (cursor !== null) this.#cursor = Math.max(this.#cursor, cursor);
    if (isAck(raw)) {
      this.#answers.answered();
      return;
    }
    const n = countMessages(raw);
    if (n === 0) return;
    if (this.onBody) {
      const frame = JSON.parse(raw) as { changes: { kind: string; message?: { text: string } }[] };
      for (const c of frame.changes) if (c.kind === 'message' && c.message) this.onBody(c.message.text);
    }
    this.onCount(n);
  }
}

/** A client's sends and the answers to them, for `flush`: both drivers count the same way. */
class Answers {
  #sent = 0;
  #answered = 0;
  #failure: unknown = null;
  readonly #waiting: { until: number; resolve: () => void; reject: (err: unknown) => void }[] = [];

  sent(): void {
    this.#sent++;
  }

  /** One send answered: acknowledged, or refused with `failure`. */
  answered(failure?: unknown): void {
    if (failure !== undefined) this.#failure ??= failure;
    this.#answered++;
    this.#wake();
  }

  /** Resolves once every send so far is answered; rejects if any was refused. */
  all(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ until: this.#sent, resolve, reject });
      this.#wake();
    });
  }

  #wake(): void {
    for (let i = this.#waiting.length - 1; i >= 0; i--) {
      const w = this.#waiting[i];
      if (!w || this.#answered < w.until) continue;
      this.#waiting.splice(i, 1);
      if (this.#failure !== null) w.reject(this.#failure);
      else w.resolve();
    }
  }
}
