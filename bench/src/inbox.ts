// `npm run bench:inbox [-- --quick]`: the team inbox under load, against Kurier in its own process
// (bench/src/kurier-server.ts, SQLite, acknowledged after fsync). Assignment latency of customer
// conversations arriving at an even rate, with the same start request on an inbox without routing
// as the baseline; and view load times over 50,000 conversations, with an authenticated request
// that does no inbox work (GET /api/v1/me) as the baseline. Writes bench/results/inbox-latest.json.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { KurierClient } from '@kurier/sdk';
import WebSocket from 'ws';
import { BenchClient, percentile } from './client.js';
import { createVisitors, LABELS, openSeeder, provisionStaff, type Staff, seedConversations } from './inbox-seed.js';

type InboxQuery = Parameters<KurierClient['inbox']['view']>[0];
type Item = { assigneeId: string | null; contact: { id: string } };

const quick = process.argv.includes('--quick');
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
/** `--only=assignment` or `--only=views` runs one part. */
const only = arg('only');
/** `--arrivals=count/seconds` overrides the offered load of the assignment part. */
const [count = 0, seconds = 0] = (arg('arrivals') ?? (quick ? '300/15' : '2000/60')).split('/').map(Number);
/** `--drop-index=a,b` measures the views without these indexes (before/after a migration). */
const dropIndexes = arg('drop-index')?.split(',') ?? [];
const AGENTS = 20;
const WARMUP = 50;
const SEEDED = 50_000;
const REQUESTS = quick ? 100 : 200;

const dirs: string[] = [];
let child: ChildProcess | null = null;
const cleanup = () => {
  child?.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
};
const interrupted = () => {
  cleanup();
  process.exit(130);
};
process.on('SIGINT', interrupted).on('SIGTERM', interrupted);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number) => Math.round(n * 100) / 100;
const stats = (ms: number[]) => ({
  p50Ms: round(percentile(ms, 50)),
  p99Ms: round(percentile(ms, 99)),
  maxMs: round(Math.max(...ms)),
});
const client = (baseUrl: string, token: string) => new KurierClient({ baseUrl, token, WebSocket: WebSocket as never });

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kurier-bench-inbox-'));
  dirs.push(dir);
  return dir;
}

/** Starts the bench's Kurier server process on `dataDir` and resolves with its base URL. */
async function startServer(dataDir: string): Promise<string> {
  // KURIER_BENCH_PROFILE=dir writes a V8 CPU profile of the server there, as in `npm run bench`.
  const profile = process.env.KURIER_BENCH_PROFILE;
  const proc = fork(join(import.meta.dirname, 'kurier-server.ts'), [], {
    execArgv: [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []), '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, KURIER_DATA_DIR: dataDir },
  });
  child = proc;
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('exit', () => reject(new Error('the Kurier server exited')));
    proc.once('message', (m: { port: number }) => resolve(m.port));
  });
  return `http://127.0.0.1:${port}`;
}

async function stopServer(): Promise<void> {
  const proc = child;
  child = null;
  if (!proc) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.disconnect();
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Round trips of start requests and how many failed. */
type Trips = { rtts: number[]; errors: number };
const trips = (): Trips => ({ rtts: [], errors: 0 });

/** Starts one conversation per visitor, evenly spaced over `seconds`; adds the round trips to `out`. */
async function arrivals(
  phase: { base: string; key: string; seconds: number; out: Trips; onSend?: (contactId: string, at: number) => void },
  visitors: { token: string; contactId: string }[],
): Promise<void> {
  const { out } = phase;
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  for (const [i, v] of visitors.entries()) {
    const wait = t0 + (i * phase.seconds * 1000) / visitors.length - performance.now();
    if (wait > 0) await sleep(wait);
    const widget = client(phase.base, v.token).widget(phase.key);
    const sent = performance.now();
    phase.onSend?.(v.contactId, sent);
    const answered = () => void out.rtts.push(performance.now() - sent);
    const failed = () => void out.errors++;
    pending.push(widget.startConversation('Hallo, ich habe eine Frage.', `s-${v.contactId}`).then(answered, failed));
  }
  await Promise.all(pending);
}

/**
 * An agent on the bench's thin protocol client: hands each live inbox item to `onItem` and, like
 * the SDK, confirms delivery of others' messages once per conversation and 50 ms.
 */
async function thinAgent(base: string, agent: Staff, onItem: (item: Item) => void): Promise<BenchClient> {
  const due = new Map<string, number>();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    for (const [conversationId, seq] of due)
      thin.ws.send(JSON.stringify({ type: 'receipt', kind: 'delivered', conversationId, seq }));
    due.clear();
  };
  type Change = { kind: string; item?: Item; message?: { conversationId: string; seq: number; senderId: string } };
  const thin = await BenchClient.connect(`${base.replace('http', 'ws')}/ws`, agent.token, {
    onFrame: (frame) => {
      for (const c of (frame.type === 'changes' ? frame.changes : []) as Change[]) {
        if (c.item) onItem(c.item);
        const m = c.message;
        if (!m || m.senderId === agent.id) continue;
        due.set(m.conversationId, Math.max(m.seq, due.get(m.conversationId) ?? 0));
        if (!scheduled) setTimeout(flush, 50);
        scheduled = true;
      }
    },
  });
  return thin;
}

/** Part 1: time from the start request to the assigned agent's live `inbox` event. */
async function assignment() {
  const dir = tempDir();
  const seeder = await openSeeder(dir);
  const settings = { queueMessage: false };
  const world = await provisionStaff(seeder, {
    agents: AGENTS,
    teams: [Array.from({ length: AGENTS }, (_, i) => i)],
    inboxes: [
      { teams: [0], settings: { ...settings, autoAssign: true } },
      { teams: [0], settings: { ...settings, autoAssign: false } },
    ],
    capacity: 200,
  });
  const [routed, manual] = world.inboxes as [(typeof world.inboxes)[0], (typeof world.inboxes)[0]];
  const routedVisitors = await createVisitors(seeder, routed.widgetKey, WARMUP + count);
  const manualVisitors = await createVisitors(seeder, manual.widgetKey, WARMUP + count);
  await seeder.close();

  const base = await startServer(dir);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const viaSdk: number[] = [];
  const onItem = (agentId: string, item: Item, sdk = false) => {
    const sent = sentAt.get(item.contact.id);
    if (item.assigneeId !== agentId || sent === undefined) return;
    sentAt.delete(item.contact.id);
    latencies.push(performance.now() - sent);
    if (sdk) viaSdk.push(performance.now() - sent);
  };
  // Agent 0 runs the SDK, as the app does. The others use the bench's thin client: the SDK
  // stringifies its whole per-conversation state on every frame, and 20 of them in this one
  // process saturated the generator (see docs/benchmarks.md), which is not the server's time.
  const [first, ...rest] = world.agents as [Staff, ...Staff[]];
  const sdkAgent = client(base, first.token);
  sdkAgent.on('inbox', (item) => onItem(first.id, item, true));
  await sdkAgent.connect();
  const thin = await Promise.all(rest.map((a) => thinAgent(base, a, (item) => onItem(a.id, item))));
  const admin = client(base, world.admin.token);
  while ((await admin.inbox.agents()).filter((a) => a.online).length < AGENTS) await sleep(50);

  // Warm-up at the same rate on both inboxes, then blocks of 10 s (quick: 5 s) taking turns, so
  // that a busy minute on this shared machine falls on both sides alike.
  const warm = { base, seconds: (WARMUP / count) * seconds, out: trips() };
  await arrivals({ ...warm, key: manual.widgetKey }, manualVisitors.slice(0, WARMUP));
  await arrivals({ ...warm, key: routed.widgetKey }, routedVisitors.slice(0, WARMUP));
  latencies.length = 0;
  viaSdk.length = 0;
  const [baseline, kurier] = [trips(), trips()];
  const blocks = Math.max(1, Math.round(seconds / (quick ? 5 : 10)));
  const block = (visitors: typeof manualVisitors, b: number) =>
    visitors.slice(WARMUP + Math.round((b * count) / blocks), WARMUP + Math.round(((b + 1) * count) / blocks));
  const onSend = (id: string, at: number) => void sentAt.set(id, at);
  for (let b = 0; b < blocks; b++) {
    await arrivals({ base, key: manual.widgetKey, seconds: seconds / blocks, out: baseline }, block(manualVisitors, b));
    const phase = { base, key: routed.widgetKey, seconds: seconds / blocks, out: kurier, onSend };
    await arrivals(phase, block(routedVisitors, b));
  }
  const deadline = performance.now() + 10_000;
  while (latencies.length < count && performance.now() < deadline) await sleep(50);
  sdkAgent.close();
  for (const c of thin) c.close();
  await stopServer();

  const k = stats(latencies);
  const b = stats(baseline.rtts);
  return {
    scenario: 'inbox-assignment',
    kurier: {
      conversations: count,
      seconds,
      agents: AGENTS,
      assigned: latencies.length,
      ...k,
      sdkAgent: { assigned: viaSdk.length, ...stats(viaSdk) },
      startRequest: stats(kurier.rtts),
      errors: kurier.errors,
    },
    baseline: { conversations: count, ...b, errors: baseline.errors },
    ratio: round(k.p99Ms / b.p99Ms),
    ratioP50: round(k.p50Ms / b.p50Ms),
    target: 'every conversation assigned to an online agent',
    met: latencies.length === count && kurier.errors === 0,
  };
}

type Load = (c: KurierClient) => Promise<number>;
const view = (q: InboxQuery): Load => {
  return async (c) => (await c.inbox.view(q)).items.length;
};
/** Each load resolves with the rows it showed; `me` is the baseline (authenticated, no inbox work). */
const LOADS: [string, Load][] = [
  ['mine', view({ view: 'mine' })],
  ['unassigned', view({ view: 'unassigned' })],
  ['all', view({ view: 'all' })],
  ['all-resolved', view({ view: 'all', status: 'resolved' })],
  ['label', view({ view: 'all', label: LABELS[0] })],
  ['counts', async (c) => (await c.inbox.counts()).all],
  ['me', async (c) => ((await c.me()) ? 1 : 0)],
];

/** Part 2: view load times over 50,000 seeded conversations, for an agent and for an admin. */
async function views() {
  const dir = tempDir();
  const seeder = await openSeeder(dir);
  // Three inboxes, one team each; agent 0 is in two teams, so sees inboxes 0 and 1.
  const teams = [0, 1, 2].map((t) => Array.from({ length: AGENTS }, (_, i) => i).filter((i) => i % 3 === t));
  teams[1]?.unshift(0);
  const inboxes = [0, 1, 2].map((t) => ({ teams: [t], settings: {} }));
  const world = await provisionStaff(seeder, { agents: AGENTS, teams, inboxes, capacity: 10 });
  const t0 = performance.now();
  const { messages } = await seedConversations(seeder, world, SEEDED);
  const seedSeconds = round((performance.now() - t0) / 1000);
  for (const name of dropIndexes) seeder.database.sqlite?.exec(`drop index ${name}`);
  await seeder.close();
  const dbMiB = round(statSync(join(dir, 'kurier.db')).size / 2 ** 20);

  const base = await startServer(dir);
  const roles = { agent: client(base, world.agents[0]?.token ?? ''), admin: client(base, world.admin.token) };
  const samples = new Map<string, number[]>();
  const rows = new Map<string, number>();
  for (let rep = -20; rep < REQUESTS; rep++) {
    for (const [name, load] of LOADS) {
      for (const [role, c] of Object.entries(roles)) {
        const key = `${name}:${role}`;
        const t = performance.now();
        rows.set(key, await load(c));
        if (rep >= 0) samples.set(key, [...(samples.get(key) ?? []), performance.now() - t]);
      }
    }
  }
  await stopServer();

  // Rows shown (counts: open conversations visible) say what was measured.
  const of = (name: string, role: string) => ({
    ...stats(samples.get(`${name}:${role}`) ?? []),
    rows: rows.get(`${name}:${role}`),
  });
  const floor = { agent: of('me', 'agent'), admin: of('me', 'admin') };
  const lines: Record<string, unknown>[] = [
    { scenario: 'inbox-seed', kurier: { conversations: SEEDED, messages, seedSeconds, dbMiB, dropped: dropIndexes } },
  ];
  for (const [name] of LOADS.slice(0, -1)) {
    const agent = of(name, 'agent');
    lines.push({
      scenario: `inbox-view:${name}`,
      kurier: { requests: REQUESTS, agent, admin: of(name, 'admin') },
      baseline: floor,
      ratio: round(agent.p99Ms / floor.agent.p99Ms),
      target: 'agent p99 <= 100 ms',
      met: agent.p99Ms <= 100,
    });
  }
  return lines;
}

const lines: unknown[] = [];
const emit = (line: unknown) => {
  lines.push(line);
  process.stdout.write(`${JSON.stringify(line)}\n`);
};
try {
  if (!only || only === 'assignment') emit(await assignment());
  if (!only || only === 'views') for (const line of await views()) emit(line);
} finally {
  await stopServer().catch(() => {});
  cleanup();
}
const results = join(import.meta.dirname, '..', 'results');
mkdirSync(results, { recursive: true });
const meta = { date: new Date().toISOString(), quick, cpus: cpus().length, node: process.version };
writeFileSync(join(results, 'inbox-latest.json'), `${JSON.stringify({ meta, results: lines }, null, 2)}\n`);
// Sockets of the SDK clients must not keep the run alive.
process.exit(0);
