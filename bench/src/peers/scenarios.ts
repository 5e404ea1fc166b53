import { appendFileSync } from 'node:fs';
import { percentile } from '../client.js';
import { cpuUsPer, type PeerClient, type PeerSystem, type PeerWorld, peerBody, readBody } from './system.js';

/** Durations: `quick` for a smoke run, the default for figures worth recording. */
export interface PeerOptions {
  quick: boolean;
  /**
   * The latency scenario's offered load in msg/s (default 5,000, the issue's). Other rates serve
   * before/after comparisons: CPU per message at a fixed load below saturation varies less than
   * throughput at saturation, where both cores are contended.
   */
  rate?: number;
}

/** One scenario's figures on one system (null: the system cannot do it, e.g. no offline storage). */
export type PeerMetrics = Record<string, number> | null;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** This process's CPU time in seconds: the load generator's cost, the same code for every system. */
const generatorCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};
const PAIRS = 200;
const WINDOW = 4;

/** Connects users with bounded concurrency (a connect storm of our own would skew setup). */
async function connectAll(world: PeerWorld, users: number[], concurrency = 50): Promise<PeerClient[]> {
  const out: PeerClient[] = new Array(users.length);
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, users.length) }, async () => {
      while (i < users.length) {
        const k = i++;
        out[k] = await world.connect(users[k] as number);
      }
    }),
  );
  return out;
}

async function pairs(system: PeerSystem) {
  const setup = {
    users: PAIRS * 2,
    pairs: Array.from({ length: PAIRS }, (_, i) => [2 * i, 2 * i + 1] as [number, number]),
    groups: [],
  };
  const world = await system.setup(setup);
  const clients = await connectAll(
    world,
    Array.from({ length: PAIRS * 2 }, (_, i) => i),
  );
  return { world, clients };
}

const closeAll = (clients: PeerClient[]) => Promise.all(clients.map((c) => c.close()));

/**
 * After a warm-up, how fast `count` grows per second over the measuring window, and the server's
 * CPU time per counted item meanwhile (all its threads; a figure that a busy, shared machine
 * disturbs much less than rates and latencies).
 */
async function steadyRate(
  system: PeerSystem,
  count: () => number,
  o: PeerOptions,
): Promise<{ perSecond: number; cpuUsPerItem: number; generatorCpuUsPerItem: number }> {
  await sleep(o.quick ? 1500 : 3000);
  const [c0, t0, cpu0, g0] = [count(), performance.now(), await system.cpuSeconds(), generatorCpuSeconds()];
  await sleep(o.quick ? 3000 : 10_000);
  const [items, seconds, cpu] = [count() - c0, (performance.now() - t0) / 1000, await system.cpuSeconds()];
  return {
    perSecond: Math.round(items / seconds),
    cpuUsPerItem: cpuUsPer(cpu - cpu0, items),
    generatorCpuUsPerItem: cpuUsPer(generatorCpuSeconds() - g0, items),
  };
}

/**
 * 1:1 at saturation: 200 pairs, each keeping 4 messages in flight from send to delivery (the
 * receiver's arrival releases the next send), so every system is paced by its own round trip.
 */
export async function throughput(system: PeerSystem, o: PeerOptions): Promise<PeerMetrics> {
  const { world, clients } = await pairs(system);
  let delivered = 0;
  let running = true;
  for (let i = 0; i < PAIRS; i++) {
    const sender = clients[2 * i] as PeerClient;
    const receiver = clients[2 * i + 1] as PeerClient;
    const to = world.pairAddress[i] as string;
    receiver.onCount = (n) => {
      delivered += n;
      if (running) for (let k = 0; k < n; k++) sender.send(to, peerBody(performance.now(), 2 * i));
    };
    for (let k = 0; k < WINDOW; k++) sender.send(to, peerBody(performance.now(), 2 * i));
  }
  const { perSecond, cpuUsPerItem, generatorCpuUsPerItem } = await steadyRate(system, () => delivered, o);
  running = false;
  await sleep(500);
  await closeAll(clients);
  return {
    messagesPerSecond: perSecond,
    serverCpuUsPerMessage: cpuUsPerItem,
    generatorCpuUsPerMessage: generatorCpuUsPerItem,
  };
}

/**
 * With KURIER_BENCH_SLOW=<file>, appends the slowest 1 % of the samples as JSON lines: when each
 * was sent, in milliseconds of CLOCK_MONOTONIC (the clock of `perf record -k CLOCK_MONOTONIC`),
 * and how long it took; so a system-wide profile shows what every thread did meanwhile.
 */
function traceSlowest(samples: readonly number[], sentAt: readonly number[]): void {
  const file = process.env.KURIER_BENCH_SLOW;
  if (!file) return;
  // performance.now() counts from a monotonic origin of its own; hrtime is CLOCK_MONOTONIC.
  const offset = Number(process.hrtime.bigint()) / 1e6 - performance.now();
  const order = samples.map((_, i) => i).sort((a, b) => (samples[b] as number) - (samples[a] as number));
  const lines = order
    .slice(0, Math.ceil(samples.length / 100))
    .map((i) =>
      JSON.stringify({ sentMs: round((sentAt[i] as number) + offset, 3), latencyMs: round(samples[i] as number) }),
    );
  appendFileSync(file, `${lines.join('\n')}\n`);
}

/** 1:1 latency at a fixed offered load: 200 senders × 25 msg/s = 5,000 msg/s, send → receive. */
export async function latency(system: PeerSystem, o: PeerOptions): Promise<PeerMetrics> {
  const period = (PAIRS * 1000) / (o.rate ?? 5000);
  const { world, clients } = await pairs(system);
  const samples: number[] = [];
  const sentAt: number[] = [];
  let measuring = false;
  let sent = 0;
  const timers: NodeJS.Timeout[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const sender = clients[2 * i] as PeerClient;
    const receiver = clients[2 * i + 1] as PeerClient;
    const to = world.pairAddress[i] as string;
    receiver.onBody = (body) => {
      if (!measuring) return;
      const stamp = readBody(body).stamp;
      samples.push(performance.now() - stamp);
      sentAt.push(stamp);
    };
    // Spread over the period (40 ms at 5,000 msg/s) so the offered load is smooth.
    timers.push(
      setTimeout(
        () =>
          timers.push(
            setInterval(() => {
              sent++;
              sender.send(to, peerBody(performance.now(), 2 * i));
            }, period),
          ),
        (i * period) / PAIRS,
      ),
    );
  }
  await sleep(o.quick ? 1500 : 3000);
  measuring = true;
  const [s0, t0, cpu0] = [sent, performance.now(), await system.cpuSeconds()];
  await sleep(o.quick ? 3000 : 10_000);
  measuring = false;
  const [inWindow, cpu] = [sent - s0, (await system.cpuSeconds()) - cpu0];
  const offered = Math.round(inWindow / ((performance.now() - t0) / 1000));
  for (const t of timers) clearInterval(t);
  await sleep(500);
  await closeAll(clients);
  traceSlowest(samples, sentAt);
  return {
    offeredPerSecond: offered,
    p50Ms: round(percentile(samples, 50)),
    p99Ms: round(percentile(samples, 99)),
    // A stall shows here first: a p99 made of a few long pauses has a max far above it.
    maxMs: round(samples.reduce((a, b) => Math.max(a, b), 0)),
    samples: samples.length,
    serverCpuUsPerMessage: cpuUsPer(cpu, inWindow),
  };
}

/**
 * Group fan-out: one group of 100, 10 members sending with 4 messages each in flight (released
 * when the last member receives them); deliveries counted at the 90 members who do not send
 * (systems differ in whether a sender gets its own copy back; those copies are not counted).
 */
export async function fanout(system: PeerSystem, o: PeerOptions): Promise<PeerMetrics> {
  const members = Array.from({ length: 100 }, (_, i) => i);
  const world = await system.setup({ users: 100, pairs: [], groups: [members] });
  const clients = await connectAll(world, members);
  const to = world.groupAddress[0] as string;
  let deliveries = 0;
  let running = true;
  for (const c of clients.slice(10)) c.onCount = (n) => (deliveries += n);
  const last = clients[99] as PeerClient;
  last.onBody = (body) => {
    const { from } = readBody(body);
    if (running && from < 10) clients[from]?.send(to, peerBody(performance.now(), from));
  };
  for (let s = 0; s < 10; s++) for (let k = 0; k < WINDOW; k++) clients[s]?.send(to, peerBody(performance.now(), s));
  const { perSecond, cpuUsPerItem, generatorCpuUsPerItem } = await steadyRate(system, () => deliveries, o);
  running = false;
  await sleep(500);
  await closeAll(clients);
  return {
    deliveriesPerSecond: perSecond,
    serverCpuUsPerDelivery: cpuUsPerItem,
    generatorCpuUsPerDelivery: generatorCpuUsPerItem,
  };
}

/** Server RSS per idle authenticated connection with 5,000 clients connected. */
export async function idle(system: PeerSystem, o: PeerOptions): Promise<PeerMetrics> {
  const count = o.quick ? 2000 : 5000;
  const world = await system.setup({ users: count, pairs: [], groups: [] });
  await sleep(1000);
  const before = await system.rss();
  const clients = await connectAll(
    world,
    Array.from({ length: count }, (_, i) => i),
  );
  await sleep(3000);
  const after = await system.rss();
  await closeAll(clients);
  return {
    connections: count,
    rssBeforeMiB: round(before / 1024 / 1024),
    rssAfterMiB: round(after / 1024 / 1024),
    bytesPerConnection: Math.round((after - before) / count),
  };
}

/** Measured offline rounds per repetition; the repetition reports their median. */
const OFFLINE_ROUNDS = 5;

/**
 * Offline delivery: the recipient was connected once (a persistent session), is away while
 * 1,000 messages are sent and taken by the server, then connects: time until all arrived. A
 * first pair goes through the same once, unmeasured: the warm-up every other scenario has, so
 * that no system is timed on code paths it runs for the first time. One round is 10–20 ms, where
 * a scheduling hiccup on two cores is several milliseconds: each repetition measures
 * `OFFLINE_ROUNDS` rounds and reports their median, for every system alike.
 */
export async function offline(system: PeerSystem, _o: PeerOptions): Promise<PeerMetrics> {
  if (!system.storesOffline) return null;
  const count = 1000;
  const world = await system.setup({
    users: 4,
    pairs: [
      [0, 1],
      [2, 3],
    ],
    groups: [],
  });
  await offlineRound(world, { pair: 1, sender: 2, recipient: 3, count });
  const rounds: { received: number; ms: number }[] = [];
  for (let k = 0; k < OFFLINE_ROUNDS; k++)
    rounds.push(await offlineRound(world, { pair: 0, sender: 0, recipient: 1, count }));
  const times = rounds.map((r) => r.ms);
  return {
    messages: count,
    // The fewest any round received: a round that lost messages shows.
    received: Math.min(...rounds.map((r) => r.received)),
    // Tenths: the systems are often within a millisecond of each other here.
    allReceivedMs: round(percentile(times, 50), 1),
    fastestRoundMs: round(Math.min(...times), 1),
    slowestRoundMs: round(Math.max(...times), 1),
  };
}

/** One offline round on one pair: what the recipient received, and how long after connecting. */
async function offlineRound(
  world: PeerWorld,
  r: { pair: number; sender: number; recipient: number; count: number },
): Promise<{ received: number; ms: number }> {
  await (await world.connect(r.recipient, { persistent: true })).close();
  const sender = await world.connect(r.sender);
  const to = world.pairAddress[r.pair] as string;
  for (let k = 0; k < r.count; k++) sender.send(to, peerBody(performance.now(), r.sender));
  await sender.flush();
  await sender.close();
  let received = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  const t0 = performance.now();
  const recipient = await world.connect(r.recipient, {
    persistent: true,
    onCount: (n) => {
      received += n;
      if (received >= r.count) done();
    },
  });
  await Promise.race([all, sleep(60_000)]);
  const ms = performance.now() - t0;
  await recipient.close();
  return { received, ms };
}

function round(n: number, places = 2): number {
  const scale = 10 ** places;
  return Math.round(n * scale) / scale;
}
