// `npm run bench:send-path [-- --quick] [-- --only=groups] [-- --out=file.json]`: the send path without sockets. Sends go through the
// messages service of a server built in this process (the writer, the SQLite thread, its fsync),
// in waves of k that the writer commits as one batch each, to 1:1 chats or groups of 100. It
// reports, per message, the CPU of the SQLite thread and of the event loop, and the WAL frames
// written: what storing a message costs, which end-to-end runs on two shared cores cannot resolve
// (docs/benchmarks.md). The baseline, in the same run: each wave's messages appended to a file as
// JSON lines and fdatasync'd, the floor of any durable server (as durable-ws does it).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildApp, type KurierApp, loadConfig } from '@kurier/server';
import { flagOf } from './cpuprofile.js';
import { cpuOf, cpuUsPer } from './peers/system.js';

interface Shape {
  name: string;
  /** Conversations and members per conversation. */
  conversations: number;
  members: number;
  /** Sends per wave: one writer batch. */
  wave: number;
}

const SHAPES: Shape[] = [
  { name: '1:1, waves of 1', conversations: 200, members: 2, wave: 1 },
  { name: '1:1, waves of 10', conversations: 200, members: 2, wave: 10 },
  { name: '1:1, waves of 100', conversations: 200, members: 2, wave: 100 },
  { name: 'groups of 100, waves of 10', conversations: 20, members: 100, wave: 10 },
];

const quick = process.argv.includes('--quick');
// `--smoke`: a few thousand messages per shape, for the test that keeps this bench working.
const smoke = process.argv.includes('--smoke');
const out = flagOf(process.argv, 'out');
// `--only=<regexp>` runs the shapes whose name matches: `--only=groups`, `--only="of 1$"`.
const only = flagOf(process.argv, 'only');
const WARM = smoke ? 200 : quick ? 4_000 : 20_000;
// CPU times come in ticks of 10 ms: 3,000 messages keep the SQLite thread's well above one.
const MEASURED = smoke ? 3_000 : quick ? 4_000 : 20_000;
const TEXT = 'x'.repeat(200);

/** CPU seconds and write system calls of every thread of this process, by thread id (Linux). */
async function threads(): Promise<Map<number, { cpu: number; writes: number }>> {
  const all = new Map<number, { cpu: number; writes: number }>();
  for (const tid of readdirSync('/proc/self/task').map(Number)) {
    try {
      const io = readFileSync(`/proc/self/task/${tid}/io`, 'utf8');
      all.set(tid, { cpu: await cpuOf(process.pid, tid), writes: Number(/^syscw: (\d+)$/m.exec(io)?.[1] ?? 0) });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return all;
}

interface Cost {
  /** µs of CPU per message: the event loop, the busiest other thread (the SQLite thread), all. */
  loopUs: number;
  threadUs: number;
  totalUs: number;
  /** WAL frames per message: SQLite writes a frame's header and its page in two calls. */
  framesPerMessage: number;
}

type Threads = Awaited<ReturnType<typeof threads>>;

function costOf(before: Threads, after: Threads, messages: number): Cost {
  const delta = [...after].map(([tid, t]) => {
    const b = before.get(tid) ?? { cpu: 0, writes: 0 };
    return { tid, cpu: t.cpu - b.cpu, writes: t.writes - b.writes };
  });
  const loop = delta.find((t) => t.tid === process.pid);
  const busiest = delta.filter((t) => t.tid !== process.pid).sort((a, b) => b.cpu - a.cpu)[0];
  return {
    loopUs: cpuUsPer(loop?.cpu ?? 0, messages),
    threadUs: cpuUsPer(busiest?.cpu ?? 0, messages),
    totalUs: cpuUsPer(
      delta.reduce((sum, t) => sum + t.cpu, 0),
      messages,
    ),
    framesPerMessage: (busiest?.writes ?? 0) / 2 / messages,
  };
}

/** Users, conversations and members written straight to the database (seeding is not measured). */
/** Each conversation with its members after it, and the shape's wave size. */
interface World {
  conversations: string[][];
  wave: number;
}

function seed(kurier: KurierApp, shape: Shape): World {
  const sqlite = kurier.database.sqlite;
  if (!sqlite) throw new Error('the send-path bench runs on SQLite');
  const now = Date.now();
  const id = (prefix: string, i: number) => `${prefix}_bench${String(i).padStart(8, '0')}`;
  const users = shape.members === 2 ? shape.conversations * 2 : shape.members;
  const columns = new Set((sqlite.pragma('table_info(conversations)') as { name: string }[]).map((c) => c.name));
  const insertUser = sqlite.prepare(
    "insert into users (id, username, display_name, role, password_hash, created_at) values (?, ?, ?, 'member', '!', ?)",
  );
  // Before migration 0010 the conversation row kept its last seq; the bench runs on either side of it.
  const insertConversation = sqlite.prepare(
    columns.has('last_seq')
      ? 'insert into conversations (id, kind, name, created_by, created_at, change_id, last_seq) values (?, ?, ?, ?, ?, 1, 0)'
      : 'insert into conversations (id, kind, name, created_by, created_at, change_id) values (?, ?, ?, ?, ?, 1)',
  );
  const insertMember = sqlite.prepare(
    "insert into members (conversation_id, user_id, role, joined_at, delivered_seq, read_seq, change_id) values (?, ?, 'member', ?, 0, 0, 1)",
  );
  const conversations: string[][] = [];
  sqlite.transaction(() => {
    for (let u = 0; u < users; u++) insertUser.run(id('u', u), `bench${u}`, `Bench ${u}`, now);
    for (let c = 0; c < shape.conversations; c++) {
      const members =
        shape.members === 2
          ? [id('u', 2 * c), id('u', 2 * c + 1)]
          : Array.from({ length: shape.members }, (_, u) => id('u', u));
      const conversation = id('c', c);
      insertConversation.run(
        conversation,
        shape.members === 2 ? 'direct' : 'group',
        shape.members === 2 ? null : `Gruppe ${c}`,
        members[0],
        now,
      );
      for (const m of members) insertMember.run(conversation, m, now);
      conversations.push([conversation, ...members]);
    }
  })();
  return { conversations, wave: shape.wave };
}

/** Sends `count` messages in waves, each wave awaited before the next: one batch per wave. */
async function sendWaves(kurier: KurierApp, world: World, count: number) {
  for (let n = 0; n < count; ) {
    const wave: Promise<unknown>[] = [];
    for (let i = 0; i < world.wave; i++, n++) {
      // Scattered, as in a server's day: a batch's conversations are not neighbours.
      const [conversationId, ...members] = world.conversations[next() % world.conversations.length] as string[];
      const userId = members[next() % members.length] as string;
      const actor = { userId, role: 'member' as const, sessionId: 'bench', expiresAt: Number.MAX_SAFE_INTEGER };
      // Counted, not random: the generator shares the event loop whose CPU is measured.
      const clientMsgId = `bench-${++sent}`;
      wave.push(kurier.messages.send(actor, { conversationId: conversationId as string, clientMsgId, text: TEXT }));
    }
    await Promise.all(wave);
  }
}

let sent = 0;

/** A fixed pseudo-random sequence (xorshift), the same for every run and shape. */
let state = 0x2545f491;
function next(): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return state >>> 0;
}

/** Runs `work` with a fresh temporary directory, removed afterwards whatever happens. */
async function inTempDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'kurier-bench-send-'));
  try {
    return await work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU per message over MEASURED messages of `run`, after WARM of them. */
async function measure(run: (count: number) => Promise<void>): Promise<Cost> {
  await run(WARM);
  const before = await threads();
  await run(MEASURED);
  return costOf(before, await threads(), MEASURED);
}

const kurierCost = (shape: Shape): Promise<Cost> =>
  inTempDir(async (dir) => {
    const kurier = await buildApp({ ...loadConfig({ KURIER_DATA_DIR: dir }), logLevel: 'silent' });
    try {
      const world = seed(kurier, shape);
      return await measure((count) => sendWaves(kurier, world, count));
    } finally {
      await kurier.close();
    }
  });

/** The floor: each wave's messages appended as JSON lines, then one fdatasync. */
const baselineCost = (shape: Shape): Promise<Cost> =>
  inTempDir(async (dir) => {
    const log = await open(join(dir, 'log'), 'a');
    try {
      let seq = 0;
      const cost = await measure(async (count) => {
        for (let n = 0; n < count; n += shape.wave) {
          let lines = '';
          for (let i = 0; i < shape.wave; i++) {
            lines += `${JSON.stringify({ id: `m_${++seq}`, conversationId: `c_${seq % shape.conversations}`, text: TEXT, at: Date.now() })}\n`;
          }
          await log.write(lines);
          await log.datasync();
        }
      });
      return { ...cost, framesPerMessage: 0 };
    } finally {
      await log.close();
    }
  });

const results = [];
process.stdout.write(
  'shape                          SQLite thread  event loop  all threads  WAL frames  baseline (all)  ratio\n',
);
for (const shape of SHAPES.filter((s) => !only || new RegExp(only).test(s.name))) {
  const kurier = await kurierCost(shape);
  const baseline = await baselineCost(shape);
  const ratio = kurier.totalUs / Math.max(1, baseline.totalUs);
  results.push({ scenario: 'send-path', shape: shape.name, kurier, baseline, ratio });
  process.stdout.write(
    `${shape.name.padEnd(31)}${`${kurier.threadUs} µs`.padStart(13)}${`${kurier.loopUs} µs`.padStart(12)}${`${kurier.totalUs} µs`.padStart(13)}${kurier.framesPerMessage.toFixed(2).padStart(12)}${`${baseline.totalUs} µs`.padStart(16)}${ratio.toFixed(1).padStart(7)}\n`,
  );
}
const file = out ?? join(import.meta.dirname, '../results/send-path-latest.json');
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${results.map((r) => JSON.stringify(r)).join('\n')}\n`);
