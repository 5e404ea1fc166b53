import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { freePort, waitForPort } from './net.js';
import { cpuOf, type PeerClient, type PeerSetup, type PeerSystem, type PeerWorld, rssOf } from './system.js';

const CONFIG = join(import.meta.dirname, '..', '..', 'peers', 'mosquitto.conf');

/**
 * Mosquitto from Debian with `bench/peers/mosquitto.conf` (persistence on). Users are client ids
 * `u<i>` subscribed to their own topic `u/<i>` and to `g/<k>` for each group; a 1:1 message is
 * a publish to the receiver's topic, a group message a publish to the group's topic.
 */
export function mosquittoSystem(qos: 0 | 1): PeerSystem {
  let dir: string | null = null;
  let child: ChildProcess | null = null;
  let port = 0;
  return {
    name: `mosquitto-qos${qos}`,
    description:
      qos === 1
        ? 'Mosquitto 2.0, persistence on (no fsync per message), QoS 1 (PUBACK), clean session off, MQTT 3.1.1'
        : 'Mosquitto 2.0, persistence on, QoS 0 (fire and forget), MQTT 3.1.1',
    storesOffline: qos === 1,
    async start() {
      dir = mkdtempSync(join(tmpdir(), 'kurier-peers-mosquitto-'));
      port = await freePort();
      const config = readFileSync(CONFIG, 'utf8')
        .replaceAll('{{PORT}}', String(port))
        .replaceAll('{{DIR}}', dir)
        .replaceAll('{{USER}}', userInfo().username);
      const file = join(dir, 'mosquitto.conf');
      writeFileSync(file, config);
      child = spawn('/usr/sbin/mosquitto', ['-c', file], { stdio: 'ignore', detached: true });
      await waitForPort(port, 15_000, () => `mosquitto did not start: ${tail(join(dir as string, 'mosquitto.log'))}`);
    },
    async stop() {
      if (child?.pid && child.exitCode === null) {
        const exited = new Promise((r) => child?.once('exit', r));
        process.kill(-child.pid, 'SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
      }
      child = null;
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = null;
    },
    rss: () => rssOf(child?.pid ?? 0),
    cpuSeconds: () => cpuOf(child?.pid ?? 0),
    async setup(setup: PeerSetup): Promise<PeerWorld> {
      const groupsOf = (user: number) => setup.groups.flatMap((members, k) => (members.includes(user) ? [k] : []));
      return {
        pairAddress: setup.pairs.map(([, receiver]) => `u/${receiver}`),
        groupAddress: setup.groups.map((_, k) => `g/${k}`),
        connect: (user, opts = {}) =>
          connectClient(`mqtt://127.0.0.1:${port}`, {
            clientId: `u${user}`,
            persistent: opts.persistent === true,
            qos,
            topics: [`u/${user}`, ...groupsOf(user).map((k) => `g/${k}`)],
            ...(opts.onCount ? { onCount: opts.onCount } : {}),
          }),
      };
    },
  };
}

async function connectClient(
  url: string,
  o: { clientId: string; persistent: boolean; qos: 0 | 1; topics: string[]; onCount?: (n: number) => void },
): Promise<PeerClient> {
  const client: MqttClient = mqtt.connect(url, {
    clientId: o.clientId,
    clean: !o.persistent,
    protocolVersion: 4,
    reconnectPeriod: 0,
    keepalive: 60,
  });
  let outstanding = 0;
  const drained: (() => void)[] = [];
  const peer: PeerClient = {
    onCount: o.onCount ?? (() => {}),
    onBody: null,
    send(to, body) {
      outstanding++;
      client.publish(to, body, { qos: o.qos }, () => {
        if (--outstanding === 0) for (const resolve of drained.splice(0)) resolve();
      });
    },
    flush: () => (outstanding === 0 ? Promise.resolve() : new Promise((resolve) => drained.push(resolve))),
    close: () => new Promise((resolve) => client.end(false, {}, () => resolve())),
  };
  // Queued messages of a persistent session arrive right after CONNACK: listen before it.
  client.on('message', (_topic, payload) => {
    peer.onBody?.(payload.toString());
    peer.onCount(1);
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', (ack) => {
      // A resumed session keeps its subscriptions; subscribing again is harmless and cheap.
      if (ack.sessionPresent) resolve();
      else client.subscribe(o.topics, { qos: o.qos }, (err) => (err ? reject(err) : resolve()));
    });
    client.once('error', reject);
  });
  return peer;
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-5).join('\n');
  } catch {
    return '(no log)';
  }
}
