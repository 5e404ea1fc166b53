import { percentile } from '../client.js';
import { type PeerClient, type PeerSystem, peerBody, readBody } from './system.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(10);
  return cond();
}

/**
 * A quick check that an adapter really delivers, before its figures mean anything: 1:1, a group,
 * offline delivery where the system stores it, and a sequential round-trip latency. Prints one
 * line per check and returns the failed ones. The system must be started; it stays started.
 */
export async function smoke(system: PeerSystem): Promise<string[]> {
  const failures: string[] = [];
  const check = (ok: boolean, what: string) => {
    process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${system.name}: ${what}\n`);
    if (!ok) failures.push(`${system.name}: ${what}`);
  };
  const world = await system.setup({ users: 4, pairs: [[0, 1]], groups: [[0, 1, 2, 3]] });
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

  counts.fill(0);
  for (let k = 0; k < 20; k++) a.send(world.groupAddress[0] as string, peerBody(performance.now(), 0));
  const others = () => counts.slice(1).every((n) => n === 20);
  check(await until(others, 10_000), `group: 20 sent, received ${counts.slice(1).join('/')} by the 3 others`);

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
  check(samples.length === 200, `200 sequential round trips: p50 ${percentile(samples, 50).toFixed(2)} ms`);
  await Promise.all(clients.map((c) => c.close()));

  if (system.storesOffline) {
    await (await world.connect(1, { persistent: true })).close();
    const sender = await world.connect(0);
    for (let k = 0; k < 100; k++) sender.send(pair, peerBody(performance.now(), 0));
    await sender.flush();
    await sender.close();
    let received = 0;
    const back = await world.connect(1, { persistent: true, onCount: (n) => (received += n) });
    await until(() => received >= 100, 10_000);
    await sleep(300);
    check(received === 100, `offline: 100 sent while away, ${received} received once back`);
    await back.close();
  }
  return failures;
}
