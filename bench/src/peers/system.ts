import { readFile } from 'node:fs/promises';

// The one shape every system under test takes in `npm run bench:peers`: Kurier, the plain-ws
// relay, Mosquitto (QoS 0 and 1) and ejabberd are driven by the same scenarios through it.

/** One client connection to a system under test. */
export interface PeerClient {
  /** Sends a message body to an address from `PeerWorld` (a 1:1 peer or a group). */
  send(to: string, body: string): void;
  /** Called for every arrival with how many messages it carried (cheap: no parsing if avoidable). */
  onCount: (n: number) => void;
  /** When set, called with the body of every message received (only latency scenarios set it). */
  onBody: ((body: string) => void) | null;
  /**
   * Resolves once the server has taken everything this client sent so far: acknowledged,
   * stored for offline recipients, or at least processed in order (an XMPP ping round trip).
   */
  flush(): Promise<void>;
  /** Closes the connection (a persistent session stays on the server). */
  close(): Promise<void>;
}

/** Who exists on a system for one scenario: users by index, 1:1 pairs and groups of them. */
export interface PeerSetup {
  users: number;
  /** `[sender, receiver]` user indexes. */
  pairs: [number, number][];
  /** Member user indexes per group. */
  groups: number[][];
}

/** What a system answers to a setup: where to send, and how to connect a user. */
export interface PeerWorld {
  /** Per pair, the address the sender sends to (a conversation id, a topic, a JID). */
  pairAddress: string[];
  /** Per group, the address members send to. */
  groupAddress: string[];
  /**
   * Connects user `user`. With `persistent`, the session survives a disconnect and a later
   * persistent connect receives what arrived meanwhile (Kurier: sync from the device's cursor;
   * MQTT: clean session off, QoS 1; XMPP: offline storage). `onCount` is installed before the
   * handshake, so messages delivered as part of it are counted too.
   */
  connect(user: number, opts?: { persistent?: boolean; onCount?: (n: number) => void }): Promise<PeerClient>;
}

/** A system under test: started on loopback, set up per scenario, stopped at the end. */
export interface PeerSystem {
  /** Short name used in tables and JSON: `kurier`, `plain-ws`, `mosquitto-qos1` … */
  readonly name: string;
  /** The configuration in one line, for the report (durability, storage, auth). */
  readonly description: string;
  /** Whether it keeps messages for a recipient who is offline (the offline scenario needs it). */
  readonly storesOffline: boolean;
  start(): Promise<void>;
  /** Stops the server and everything it started, removing its temporary files. */
  stop(): Promise<void>;
  /** Resident set size of the server process(es) in bytes. */
  rss(): Promise<number>;
  /** CPU time the server process(es) used since start, all threads, user + system, in seconds. */
  cpuSeconds(): Promise<number>;
  setup(setup: PeerSetup): Promise<PeerWorld>;
  /** Figures that explain a result (Kurier: group-commit batch sizes and times), if any. */
  diagnostics?(): Promise<Record<string, number>>;
}

// KURIER_BENCH_BODY=words: bodies of words as people write them, which Kurier's full-text index
// must tokenize (one long run of `x` costs it almost nothing); the other systems do not index.
const WORDS =
  'hallo danke bitte termin morgen heute rechnung angebot lieferung kunde frage antwort kasse treffen projekt woche preis bestellung paket adresse hello thanks please meeting tomorrow today invoice offer delivery customer question answer office project week price order parcel address'.split(
    ' ',
  );
const wordBodies = process.env.KURIER_BENCH_BODY === 'words';
let wordSeed = 1;

/** A 200-byte body: send time and sender at the front, so receivers can measure and attribute. */
export function peerBody(stamp: number, from: number): string {
  const head = `${stamp.toFixed(3)}|${from}|`;
  if (!wordBodies) return head + 'x'.repeat(200 - head.length);
  let text = head;
  while (text.length < 200) {
    wordSeed = (wordSeed * 1_103_515_245 + 12_345) % 2_147_483_648;
    text += `${WORDS[wordSeed % WORDS.length]} `;
  }
  return text.slice(0, 200);
}

/** The send time and sender written by `peerBody`. */
export function readBody(body: string): { stamp: number; from: number } {
  const a = body.indexOf('|');
  const b = body.indexOf('|', a + 1);
  return { stamp: Number(body.slice(0, a)), from: Number(body.slice(a + 1, b)) };
}

/** Resident set size of a process in bytes, from /proc. */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

/** CPU time of a process (every thread, user + system), or of one of its threads, in seconds, from /proc. */
export async function cpuOf(pid: number, tid?: number): Promise<number> {
  const stat = await readFile(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  // The command name may hold spaces; the fields after it are fixed: utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/**
 * CPU microseconds per item, from CPU seconds over a window and the items counted in it. One
 * decimal below 10 µs (a fan-out's deliveries), where whole microseconds would hide a tenth.
 */
export const cpuUsPer = (seconds: number, items: number) => {
  const us = (seconds * 1e6) / Math.max(items, 1);
  return us < 10 ? Math.round(us * 10) / 10 : Math.round(us);
};

// USER_HZ: 100 on every Linux architecture Node runs on.
const CLOCK_TICKS = 100;
