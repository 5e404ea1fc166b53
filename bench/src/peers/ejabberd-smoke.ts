// Self-check of the ejabberd adapter: node --import tsx bench/src/peers/ejabberd-smoke.ts [clients]
// Starts ejabberd, checks 1:1, group and offline delivery, measures latency and RSS per idle
// connection, stops it and checks that no ejabberd process is left. Exits non-zero on failure.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { percentile } from '../client.js';
import { ejabberdSystem } from './ejabberd.js';
import { type PeerClient, type PeerWorld, peerBody, readBody } from './system.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const clientsToConnect = Number(process.argv[2] ?? 1000);
const failures: string[] = [];

function check(ok: boolean, what: string): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(10);
  return cond();
}

async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await f();
  console.log(`     ${what}: ${Math.round(performance.now() - t0)} ms`);
  return result;
}

async function leftovers(): Promise<string> {
  const { stdout } = await run('pgrep', ['-af', 'kurier-bench-']).catch(() => ({ stdout: '' }));
  return stdout.trim();
}

async function delivery(world: PeerWorld): Promise<void> {
  const clients = await Promise.all([0, 1, 2, 3].map((u) => world.connect(u)));
  const counts = [0, 0, 0, 0];
  clients.forEach((c, i) => {
    c.onCount = (n) => {
      counts[i] = (counts[i] ?? 0) + n;
    };
  });
  const [a, b] = clients as [PeerClient, PeerClient];
  const pair = world.pairAddress[0] as string;
  for (let k = 0; k < 50; k++) a.send(pair, peerBody(performance.now(), 0));
  check(await until(() => counts[1] === 50, 10_000), `1:1: 50 sent, ${counts[1]} received`);

  const group = world.groupAddress[0] as string;
  counts.fill(0);
  for (let k = 0; k < 20; k++) a.send(group, peerBody(performance.now(), 0));
  const others = () => counts.slice(1).every((n) => n === 20);
  check(await until(others, 10_000), `group: 20 sent by u0, received ${counts.slice(1).join('/')} by u1-u3`);
  await a.flush();
  await sleep(200);
  check(counts[0] === 0, `group: sender's reflected copies not counted (${counts[0]})`);

  const samples: number[] = [];
  for (let k = 0; k < 200; k++) {
    const arrived = new Promise<void>((resolve) => {
      b.onBody = (body) => {
        samples.push(performance.now() - readBody(body).stamp);
        resolve();
      };
    });
    a.send(pair, peerBody(performance.now(), 0));
    await arrived;
  }
  const [p50, p99] = [percentile(samples, 50), percentile(samples, 99)];
  console.log(`     1:1 latency, 200 sequential, send → receive: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`);
  await Promise.all(clients.map((c) => c.close()));
}

async function offline(world: PeerWorld): Promise<void> {
  await (await world.connect(1, { persistent: true })).close();
  const sender = await world.connect(0);
  for (let k = 0; k < 100; k++) sender.send(world.pairAddress[0] as string, peerBody(performance.now(), 0));
  await sender.flush();
  await sender.close();
  let received = 0;
  const t0 = performance.now();
  const back = await world.connect(1, { persistent: true, onCount: (n) => (received += n) });
  const all = await until(() => received >= 100, 10_000);
  const ms = performance.now() - t0;
  await sleep(300);
  check(all && received === 100, `offline: 100 sent while away, ${received} received in ${ms.toFixed(0)} ms`);
  await back.close();
}

async function idle(count: number): Promise<void> {
  const system = ejabberdSystem();
  try {
    await timed('start', () => system.start());
    const users = Math.max(count, 5000);
    const world = await timed(`register ${users} users`, () => system.setup({ users, pairs: [], groups: [] }));
    await sleep(1000);
    const before = await system.rss();
    const [cpu0, mem0] = [process.cpuUsage(), process.memoryUsage()];
    const clients: PeerClient[] = [];
    await timed(`connect ${count} clients`, async () => {
      let next = 0;
      const worker = async () => {
        while (next < count) clients.push(await world.connect(next++));
      };
      await Promise.all(Array.from({ length: 50 }, worker));
    });
    await sleep(3000);
    const after = await system.rss();
    const cpu = process.cpuUsage(cpu0);
    const mem = process.memoryUsage();
    check(clients.length === count, `idle: ${clients.length} clients connected`);
    console.log(
      `     server RSS ${(before / 2 ** 20).toFixed(1)} → ${(after / 2 ** 20).toFixed(1)} MiB: ` +
        `${Math.round((after - before) / count / 1024)} KiB per connection`,
    );
    console.log(
      `     generator: +${Math.round((mem.rss - mem0.rss) / count / 1024)} KiB RSS, ` +
        `+${Math.round((mem.heapUsed - mem0.heapUsed) / count / 1024)} KiB heap per client, ` +
        `${((cpu.user + cpu.system) / 1000 / count).toFixed(2)} ms CPU per connect`,
    );
    await timed(`close ${count} clients`, () => Promise.all(clients.map((c) => c.close())));
  } finally {
    await system.stop();
  }
}

async function main(): Promise<void> {
  const system = ejabberdSystem();
  try {
    await timed('start', () => system.start());
    const world = await system.setup({ users: 4, pairs: [[0, 1]], groups: [[0, 1, 2, 3]] });
    console.log(`     server RSS after setup: ${((await system.rss()) / 2 ** 20).toFixed(1)} MiB`);
    await delivery(world);
    await offline(world);
  } finally {
    await system.stop();
    await system.stop();
  }
  await idle(clientsToConnect);
  const left = await leftovers();
  check(left === '', `no ejabberd process left${left ? `:\n${left}` : ''}`);
}

main().then(
  () => {
    console.log(failures.length === 0 ? 'all checks passed' : `${failures.length} check(s) failed`);
    process.exit(failures.length === 0 ? 0 : 1);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
