import { BenchClient, body, connectAll, countMessages, type Frame, isAck } from './client.js';
import { kurierSystem } from './peers/kurier.js';
import { latency } from './peers/scenarios.js';
import { cpuOf, cpuUsPer } from './peers/system.js';
import type { Target } from './target.js';

/** Durations and sizes; `quick` keeps the whole run under two minutes. */
export interface Options {
  quick: boolean;
}

/** Metrics of one scenario on one target. */
export type Metrics = Record<string, number>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const messageCount = (f: Frame) =>
  f.type === 'changes' ? (f.changes as { kind: string }[]).filter((c) => c.kind === 'message').length : 0;

async function pairs(target: Target, count: number) {
  const provisioned = await target.provision({
    users: count * 2,
    devicesPerUser: 1,
    conversations: Array.from({ length: count }, (_, i) => ({ members: [2 * i, 2 * i + 1] })),
  });
  const clients = await connectAll(
    target.url,
    provisioned.tokens.map((t) => t[0] as string),
  );
  return { clients, conversationIds: provisioned.conversationIds };
}

function closeAll(clients: BenchClient[]): void {
  for (const c of clients) c.close();
}

/** 1:1 relay at saturation: 200 pairs, each sender keeps `window` messages in flight. */
export async function relayThroughput(target: Target, opts: Options): Promise<Metrics> {
  const { clients, conversationIds } = await pairs(target, 200);
  const window = 4;
  let acks = 0;
  let deliveries = 0;
  let running = true;
  conversationIds.forEach((conversationId, i) => {
    const sender = clients[2 * i] as BenchClient;
    const receiver = clients[2 * i + 1] as BenchClient;
    sender.onRaw = (raw) => {
      if (!isAck(raw)) return;
      acks++;
      if (running) sender.send(conversationId, body(performance.now()));
    };
    receiver.onRaw = (raw) => {
      deliveries += countMessages(raw);
    };
    for (let k = 0; k < window; k++) sender.send(conversationId, body(performance.now()));
  });
  await sleep(opts.quick ? 1500 : 3000);
  const [a0, d0, t0, cpu0] = [acks, deliveries, performance.now(), await cpuOf(target.pid)];
  await sleep(opts.quick ? 3000 : 10_000);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = (await cpuOf(target.pid)) - cpu0;
  const result = {
    messagesPerSecond: Math.round((acks - a0) / seconds),
    deliveriesPerSecond: Math.round((deliveries - d0) / seconds),
    // All of the server's threads (SQLite's included), per acknowledged message.
    serverCpuUsPerMessage: cpuUsPer(cpu, acks - a0),
  };
  running = false;
  await sleep(500);
  closeAll(clients);
  return result;
}

/**
 * 1:1 latency at a fixed offered load (200 senders × 25 msg/s = 5,000 msg/s), send → receive:
 * the same scenario `npm run bench:peers` runs, here against this run's server process.
 */
export function relayLatency(target: Target, opts: Options): Promise<Metrics> {
  return latency(kurierSystem(target.kind, { running: target, driver: 'wire' }), opts) as Promise<Metrics>;
}

/** Group fan-out: one 100-member group, 10 members sending with 4 in flight each. */
export async function groupFanout(target: Target, opts: Options): Promise<Metrics> {
  const provisioned = await target.provision({
    users: 100,
    devicesPerUser: 1,
    conversations: [{ members: Array.from({ length: 100 }, (_, i) => i) }],
  });
  const conversationId = provisioned.conversationIds[0] as string;
  const clients = await connectAll(
    target.url,
    provisioned.tokens.map((t) => t[0] as string),
  );
  let deliveries = 0;
  let running = true;
  clients.forEach((c, i) => {
    c.onRaw = (raw) => {
      deliveries += countMessages(raw);
      if (i < 10 && running && isAck(raw)) c.send(conversationId, body(performance.now()));
    };
    if (i < 10) for (let k = 0; k < 4; k++) c.send(conversationId, body(performance.now()));
  });
  await sleep(opts.quick ? 1500 : 3000);
  const [d0, t0, cpu0] = [deliveries, performance.now(), await cpuOf(target.pid)];
  await sleep(opts.quick ? 3000 : 10_000);
  const [delivered, seconds, cpu] = [deliveries - d0, (performance.now() - t0) / 1000, await cpuOf(target.pid)];
  const result = {
    deliveriesPerSecond: Math.round(delivered / seconds),
    serverCpuUsPerDelivery: cpuUsPer(cpu - cpu0, delivered),
  };
  running = false;
  await sleep(500);
  closeAll(clients);
  return result;
}

/**
 * Reconnect storm: 1,000 devices (200 users × 5, in 20 groups of 10) go away, 20 messages are sent
 * to each group, then all reconnect at once with their cursor: time until every device has its
 * 20 messages. The baseline has no storage, so for it this measures reconnect + welcome only.
 */
export async function reconnectStorm(target: Target, _opts: Options): Promise<Metrics> {
  const groups = Array.from({ length: 20 }, (_, g) => ({ members: Array.from({ length: 10 }, (_, k) => g * 10 + k) }));
  const provisioned = await target.provision({ users: 200, devicesPerUser: 6, conversations: groups });
  const devices = provisioned.tokens.flatMap((t) => t.slice(0, 5));
  const first = await connectAll(target.url, devices);
  const cursors = new Map<string, number>();
  first.forEach((c, i) => {
    cursors.set(devices[i] as string, c.cursor);
    c.close();
  });
  // One extra device per group writes the 20 messages while the others are away.
  const senders = await connectAll(
    target.url,
    groups.map((g) => provisioned.tokens[g.members[0] as number]?.[5] as string),
  );
  await Promise.all(
    senders.map(
      (s, g) =>
        new Promise<void>((resolve) => {
          let acked = 0;
          s.onFrame = (f) => {
            if (f.type === 'ack' && ++acked === 20) resolve();
          };
          for (let k = 0; k < 20; k++) s.send(provisioned.conversationIds[g] as string, body(performance.now()));
        }),
    ),
  );
  closeAll(senders);
  const expected = target.kind === 'kurier' ? 20 : 0;
  const t0 = performance.now();
  const synced = await Promise.all(
    devices.map((token) => syncOne(target.url, token, { cursor: cursors.get(token) ?? 0, expected })),
  );
  const ms = performance.now() - t0;
  return { clients: devices.length, allSyncedMs: Math.round(ms), messagesReceived: synced.reduce((a, b) => a + b, 0) };
}

async function syncOne(
  url: string,
  token: string,
  { cursor, expected }: { cursor: number; expected: number },
): Promise<number> {
  if (expected === 0) {
    (await BenchClient.connect(url, token)).close();
    return 0;
  }
  let received = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const client = await BenchClient.connect(url, token, {
    cursor,
    onFrame: (f) => {
      received += messageCount(f);
      if (f.type === 'changes' && f.done === true && f.live === false) finish();
    },
  });
  await finished;
  client.close();
  return received;
}

/** Server RSS per idle authenticated connection, 2,000 connections. */
export async function idleMemory(target: Target, _opts: Options): Promise<Metrics> {
  const provisioned = await target.provision({ users: 200, devicesPerUser: 10, conversations: [] });
  await target.restart();
  await sleep(1000);
  const before = await target.memory();
  const clients = await connectAll(target.url, provisioned.tokens.flat());
  await sleep(2000);
  const after = await target.memory();
  closeAll(clients);
  return {
    connections: clients.length,
    rssBeforeMiB: mib(before.rss),
    rssAfterMiB: mib(after.rss),
    bytesPerConnection: Math.round((after.rss - before.rss) / clients.length),
    heapBytesPerConnection: Math.round((after.heapUsed - before.heapUsed) / clients.length),
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function mib(n: number): number {
  return round(n / 1024 / 1024);
}
