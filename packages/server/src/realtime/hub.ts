import type { Message, ServerFrame } from '@kurier/protocol';
import type { Bus } from '../kernel/bus.js';
import { encodeFrame } from './encode.js';

/** What the hub needs from a connection. */
export interface HubConnection {
  readonly userId: string;
  readonly sessionId: string;
  /**
   * `data` is the frame already serialized to UTF-8: fan-out serializes and encodes once, not
   * once per socket. Handed a string, `ws` measured its UTF-8 length and Node encoded it again
   * for every socket: a sixth of the server's CPU per delivery in a group of 100 (docs/benchmarks.md).
   * `created` is the message whose creation the frame announces, if it does.
   */
  deliver(frame: ServerFrame, data: Buffer, created?: Message): void;
  revoke(): void;
}

/** Tracks live connections per user and fans bus events out to them. */
export class Hub {
  readonly #byUser = new Map<string, Set<HubConnection>>();

  constructor(bus: Bus) {
    bus.on('deliver', ({ userIds, frame, created }) => {
      let data: Buffer | null = null;
      for (const userId of userIds) {
        const conns = this.#byUser.get(userId);
        if (!conns) continue;
        data ??= Buffer.from(encodeFrame(frame));
        for (const conn of conns) conn.deliver(frame, data, created);
      }
    });
    bus.on('sessionsRevoked', ({ sessionIds }) => {
      const revoked = new Set(sessionIds);
      for (const conns of this.#byUser.values()) {
        for (const conn of conns) if (revoked.has(conn.sessionId)) conn.revoke();
      }
    });
  }

  /** Adds a connection; true when it is the user's first (they just came online). */
  add(conn: HubConnection): boolean {
    const conns = this.#byUser.get(conn.userId);
    if (conns) {
      conns.add(conn);
      return false;
    }
    this.#byUser.set(conn.userId, new Set([conn]));
    return true;
  }

  /** Removes a connection; true when it was the user's last (they just went offline). */
  remove(conn: HubConnection): boolean {
    const conns = this.#byUser.get(conn.userId);
    if (!conns?.delete(conn)) return false;
    if (conns.size > 0) return false;
    this.#byUser.delete(conn.userId);
    return true;
  }

  isOnline(userId: string): boolean {
    return this.#byUser.has(userId);
  }

  /** Every connection (shutdown). */
  all(): HubConnection[] {
    return [...this.#byUser.values()].flatMap((s) => [...s]);
  }

  get connectionCount(): number {
    let n = 0;
    for (const s of this.#byUser.values()) n += s.size;
    return n;
  }
}
