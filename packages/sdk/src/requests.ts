import type { ClientFrame, Message } from '@kurier/protocol';
import type { KurierApiError } from './errors.js';

type RequestFrame = Extract<ClientFrame, { id?: string }>;

interface Pending {
  frame: RequestFrame;
  resolve: (message: Message | undefined) => void;
  reject: (err: KurierApiError) => void;
}

/** Requests waiting for `ack`/`error`, by id; all are resent after a reconnect. */
export class Requests {
  readonly #pending = new Map<string, Pending>();
  #next = 0;

  nextId(): string {
    this.#next += 1;
    return `r${this.#next.toString(36)}`;
  }

  add(frame: RequestFrame & { id: string }): Promise<Message | undefined> {
    return new Promise((resolve, reject) => {
      this.#pending.set(frame.id, { frame, resolve, reject });
    });
  }

  resolve(id: string, message: Message | undefined): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    p.resolve(message);
  }

  reject(id: string, err: KurierApiError): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    p.reject(err);
  }

  /** Frames to send again on a new socket, in the order they were first sent. */
  frames(): RequestFrame[] {
    return [...this.#pending.values()].map((p) => p.frame);
  }

  rejectAll(err: KurierApiError): void {
    for (const id of [...this.#pending.keys()]) this.reject(id, err);
  }
}
