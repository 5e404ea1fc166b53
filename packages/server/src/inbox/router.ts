import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Writer } from '../kernel/writer.js';
import { settingsOf } from './present.js';
import { type InboxStore, inboxStore, type StateRow } from './store.js';
import { DEFAULT_CAPACITY, type InboxDeps, InboxTx } from './tx.js';

const QUEUE_CHUNK = 500;

/** Agents' capacity and load as one routing pass sees them. */
class Pool {
  readonly #capacity = new Map<string, number>();
  readonly #lastAssigned = new Map<string, number>();
  readonly #load = new Map<string, number>();

  static async load(store: InboxStore): Promise<Pool> {
    const pool = new Pool();
    const [agents, load] = await Promise.all([store.agents(), store.openLoad()]);
    for (const a of agents) {
      pool.#capacity.set(a.user_id, a.capacity);
      if (a.last_assigned_at !== null) pool.#lastAssigned.set(a.user_id, a.last_assigned_at);
    }
    for (const l of load) pool.#load.set(l.userId, l.open);
    return pool;
  }

  /**
   * Round robin: among candidates with capacity left, the one who got a conversation longest
   * ago (never first), then the least loaded. Counts the assignment.
   */
  pick(candidates: readonly string[], at: number): string | null {
    let best: string | null = null;
    for (const id of candidates) {
      if ((this.#load.get(id) ?? 0) >= (this.#capacity.get(id) ?? DEFAULT_CAPACITY)) continue;
      if (best === null || this.#before(id, best)) best = id;
    }
    if (best !== null) {
      this.#load.set(best, (this.#load.get(best) ?? 0) + 1);
      this.#lastAssigned.set(best, at);
    }
    return best;
  }

  #before(a: string, b: string): boolean {
    const la = this.#lastAssigned.get(a) ?? -1;
    const lb = this.#lastAssigned.get(b) ?? -1;
    if (la !== lb) return la < lb;
    const da = this.#load.get(a) ?? 0;
    const db = this.#load.get(b) ?? 0;
    return da !== db ? da < db : a < b;
  }
}

/**
 * Automatic assignment. Every pass runs in the single writer, so two passes (or a pass and a
 * manual assignment) never see the same free conversation: one owner per conversation holds by
 * construction, and capacity is counted inside the transaction that assigns.
 */
export function inboxRouter(
  deps: InboxDeps & {
    writer: Writer;
    isOnline: (userId: string) => boolean;
    onError: (err: unknown) => void;
    /** Where a pass first looks whether any inbox assigns by itself (db/index.ts `reads`). */
    reads?: Kysely<DB>;
  },
) {
  const { writer, access, isOnline } = deps;
  let running: Promise<void> | null = null;
  let again = false;

  async function candidates(tx: InboxTx, row: StateRow): Promise<string[]> {
    return (await access.routable(tx.trx, row)).filter(isOnline);
  }

  /** Tries to give one queued conversation an agent, inside a caller's transaction. */
  async function routeOne(tx: InboxTx, row: StateRow, pool?: Pool): Promise<boolean> {
    const p = pool ?? (await Pool.load(tx.store));
    const agent = p.pick(await candidates(tx, row), tx.at);
    if (!agent) return false;
    await tx.assign(row, agent, agent);
    return true;
  }

  /** The inboxes that assign by themselves. */
  const autoInboxes = async (store: InboxStore) =>
    (await store.inboxes()).filter((i) => settingsOf(i).autoAssign).map((i) => i.id);

  /** One pass over the queue; returns how many conversations found an agent. */
  async function drain(): Promise<number> {
    // Every staff member coming online kicks the router. Without an inbox that assigns by itself
    // (a messenger without a team inbox) a plain read says so, instead of a write transaction
    // with its change id and fsync. Turning assignment on kicks the router after its commit.
    if ((await autoInboxes(inboxStore(deps.reads ?? deps.db))).length === 0) return 0;
    const tx = await writer.transact(async (trx) => {
      const tx = new InboxTx(trx, deps);
      // Taking a change id first locks the counter row: on PostgreSQL, passes of several
      // processes queue up here instead of reading the same free conversations.
      await tx.nextChangeId();
      const auto = await autoInboxes(tx.store);
      const queue = auto.length > 0 ? await tx.store.queue(auto, QUEUE_CHUNK) : [];
      if (queue.length === 0) return { result: null };
      const pool = await Pool.load(tx.store);
      let assigned = 0;
      for (const row of queue) if (await routeOne(tx, row, pool)) assigned++;
      return { result: { tx, assigned }, publish: () => tx.publish() };
    });
    return tx?.assigned ?? 0;
  }

  return {
    routeOne,

    /**
     * Runs routing passes until one assigns nothing; calls while a pass runs fold into one more
     * pass after it. Never throws (errors go to `onError`).
     */
    kick(): Promise<void> {
      if (running) {
        again = true;
        return running;
      }
      running = (async () => {
        try {
          do {
            again = false;
            while ((await drain()) > 0) {}
          } while (again);
        } catch (err) {
          deps.onError(err);
        } finally {
          running = null;
        }
      })();
      return running;
    },

    /** Resolves when no pass is running (tests, shutdown). */
    idle: (): Promise<void> => running ?? Promise.resolve(),
  };
}

/** The router contract. */
export type InboxRouter = ReturnType<typeof inboxRouter>;
