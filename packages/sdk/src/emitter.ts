type Listener = (...args: unknown[]) => void;

/** A tiny typed event emitter that works the same in browsers and Node. */
export class Emitter<TEvents extends Record<string, unknown[]>> {
  readonly #listeners = new Map<keyof TEvents, Set<Listener>>();

  /** Subscribes; returns the unsubscribe function. */
  on<TName extends keyof TEvents>(name: TName, listener: (...args: TEvents[TName]) => void): () => void {
    let set = this.#listeners.get(name);
    if (!set) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    const l = listener as unknown as Listener;
    set.add(l);
    return () => set.delete(l);
  }

  protected emit<TName extends keyof TEvents>(name: TName, ...args: TEvents[TName]): void {
    const set = this.#listeners.get(name);
    if (!set) return;
    for (const listener of set) listener(...args);
  }
}
