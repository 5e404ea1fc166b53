import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitForPort } from './net.js';
import { cpuOf, type PeerClient, type PeerSetup, type PeerSystem, type PeerWorld, rssOf } from './system.js';

const TEMPLATE = join(import.meta.dirname, '..', '..', 'peers', 'ejabberd.yml');
const CTL = '/usr/sbin/ejabberdctl';
const HOST = 'bench.local';
const MUC = `conference.${HOST}`;
const PASSWORD = 'bench-password';
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * ejabberd 23.01 from Debian with `bench/peers/ejabberd.yml`, started through `ejabberdctl
 * foreground` under its own node name, cookie and distribution port (no epmd), so it never meets
 * a system-wide ejabberd. Users `u<i>` are registered and rooms `g<k>` created over the admin
 * HTTP API on loopback; clients are `@xmpp/client` sessions.
 */
export function ejabberdSystem(): PeerSystem {
  let dir: string | null = null;
  let child: ChildProcess | null = null;
  let ports = { c2s: 0, http: 0 };
  let flags: string[] = [];
  let user: { uid?: number; gid?: number } = {};
  let beam = 0;
  const killAll = () => {
    for (const pid of [child?.pid ? -child.pid : 0, beam]) if (pid) signal(pid, 'SIGKILL');
  };
  return {
    name: 'ejabberd',
    description:
      'ejabberd 23.01, internal auth (SASL PLAIN), Mnesia with default tables (sessions in RAM; accounts, rooms and ' +
      'offline store on disk), mod_offline on, persistent members-only MUC rooms, shapers off, plain TCP on loopback',
    storesOffline: true,
    async start() {
      dir = mkdtempSync(join(tmpdir(), 'kurier-peers-ejabberd-'));
      const [c2s = 0, http = 0, dist = 0] = await distinctPorts(3);
      ports = { c2s, http };
      const node = `kurier-bench-${randomBytes(4).toString('hex')}@localhost`;
      flags = writeFiles(dir, { c2s, http, dist, node });
      // ejabberdctl runs only as root or `ejabberd`, and as root it switches to `ejabberd`
      // through su, whose PAM session drops the open-files limit to 1,024 (too few for 5,000
      // clients). So root starts it as `ejabberd` directly, as Debian's systemd unit does.
      const owner = process.getuid?.() === 0 ? ejabberdUser() : null;
      user = owner ?? {};
      if (owner)
        for (const f of ['', 'ejabberd.yml', 'ejabberdctl.cfg', 'inetrc', 'spool', 'logs']) {
          chownSync(join(dir, f), owner.uid, owner.gid);
        }
      const out = openSync(join(dir, 'console.log'), 'w');
      const options = { cwd: dir, env: { ...process.env, HOME: dir }, ...user };
      child = spawn(CTL, [...flags, 'foreground'], { ...options, stdio: ['ignore', out, out], detached: true });
      closeSync(out);
      process.on('exit', killAll);
      const deadline = Date.now() + 60_000;
      const up = (port: number) =>
        waitForPort(port, 500, () => '').then(
          () => true,
          () => false,
        );
      for (const port of [c2s, http]) {
        while (!(await up(port))) {
          if (child.exitCode !== null || Date.now() > deadline)
            throw new Error(`ejabberd did not start:\n${logTail(dir)}`);
        }
      }
      const { stdout } = await run('pgrep', ['-f', `beam\\.smp .*-sname ${node} `]);
      beam = Number(stdout.trim().split('\n')[0]);
    },
    async stop() {
      const c = child;
      if (c?.pid && c.exitCode === null && c.signalCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        const options = { cwd: dir ?? '/', env: { ...process.env, HOME: dir ?? '/' }, ...user };
        await run(CTL, [...flags, 'stop'], { ...options, timeout: 15_000 }).catch(() => {});
        await Promise.race([exited, sleep(10_000)]);
      }
      killAll();
      process.removeListener('exit', killAll);
      child = null;
      beam = 0;
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = null;
    },
    rss: () => rssOf(beam),
    cpuSeconds: () => cpuOf(beam),
    async setup(setup: PeerSetup): Promise<PeerWorld> {
      const api = `http://127.0.0.1:${ports.http}/api/`;
      const call = async (command: string, args: Record<string, string>) => {
        const res = await fetch(api + command, { method: 'POST', body: JSON.stringify(args) });
        if (!res.ok) throw new Error(`ejabberd ${command} ${JSON.stringify(args)}: ${res.status} ${await res.text()}`);
      };
      await pool(setup.users, 32, (i) => call('register', { user: `u${i}`, host: HOST, password: PASSWORD }));
      await pool(setup.groups.length, 8, async (k) => {
        await call('create_room', { name: `g${k}`, service: MUC, host: HOST });
        for (const m of setup.groups[k] ?? []) {
          await call('set_room_affiliation', {
            name: `g${k}`,
            service: MUC,
            jid: `u${m}@${HOST}`,
            affiliation: 'member',
          });
        }
      });
      const roomsOf = (user: number) => setup.groups.flatMap((members, k) => (members.includes(user) ? [k] : []));
      return {
        pairAddress: setup.pairs.map(([, receiver]) => `u${receiver}@${HOST}`),
        groupAddress: setup.groups.map((_, k) => `g${k}@${MUC}`),
        // XMPP needs nothing special for `persistent`: the account outlives its sessions, chat
        // messages to an account without an available session go to mod_offline, and ejabberd
        // delivers them right after the next initial presence.
        connect: (user, opts = {}) =>
          connectClient({
            port: ports.c2s,
            user,
            rooms: roomsOf(user).map((k) => `g${k}@${MUC}`),
            onCount: opts.onCount,
          }),
      };
    },
  };
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

function ejabberdUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('ejabberd:'));
  const [, , uid, gid] = (line ?? '').split(':').map(Number);
  if (uid === undefined || gid === undefined || Number.isNaN(uid))
    throw new Error('no `ejabberd` user: is ejabberd installed?');
  return { uid, gid };
}

/** Writes the configs into `dir` and returns the ejabberdctl flags that point at them. */
function writeFiles(dir: string, o: { c2s: number; http: number; dist: number; node: string }): string[] {
  const yml = readFileSync(TEMPLATE, 'utf8').replaceAll('{{C2S_PORT}}', String(o.c2s));
  writeFileSync(join(dir, 'ejabberd.yml'), yml.replaceAll('{{HTTP_PORT}}', String(o.http)));
  // Sourced by ejabberdctl instead of /etc/ejabberd/ejabberdctl.cfg. ERL_DIST_PORT makes the node
  // take Erlang distribution on that port without epmd; the cookie is ours alone. The soft
  // open-files limit goes up to the hard one, as Debian's unit does with LimitNOFILE.
  const cookie = randomBytes(16).toString('hex');
  writeFileSync(
    join(dir, 'ejabberdctl.cfg'),
    `ERLANG_NODE=${o.node}\nERL_DIST_PORT=${o.dist}\nEJABBERD_BYPASS_WARNINGS=true\n` +
      `ERL_OPTIONS="-setcookie ${cookie} -kernel inet_dist_use_interface {127,0,0,1} -env ERL_CRASH_DUMP_BYTES 0"\n` +
      'ulimit -n "$(ulimit -Hn)" 2>/dev/null || true\n',
  );
  writeFileSync(join(dir, 'inetrc'), '{lookup, ["file", "native"]}.\n');
  for (const sub of ['spool', 'logs']) mkdirSync(join(dir, sub));
  const f = (name: string) => join(dir, name);
  const flags = ['--config-dir', dir, '--config', f('ejabberd.yml'), '--ctl-config', f('ejabberdctl.cfg')];
  return [...flags, '--logs', f('logs'), '--spool', f('spool')];
}

function logTail(dir: string): string {
  return ['console.log', 'logs/ejabberd.log', 'logs/error.log']
    .map((f) => {
      try {
        return readFileSync(join(dir, f), 'utf8').split('\n').slice(-15).join('\n');
      } catch {
        return '';
      }
    })
    .join('\n');
}

async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** The part of `@xmpp/client` (untyped) the adapter uses. */
interface XmlElement {
  name: string;
  attrs: Record<string, string | undefined>;
  getChild(name: string, xmlns?: string): XmlElement | undefined;
  getChildText(name: string): string | null;
}
interface XmppClient {
  reconnect: { stop(): void };
  iqCaller: { request(el: XmlElement, timeoutMs?: number): Promise<XmlElement> };
  on(event: 'stanza', listener: (el: XmlElement) => void): void;
  on(event: 'error' | 'disconnect', listener: (err: unknown) => void): void;
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
  send(el: XmlElement): Promise<void>;
}
interface XmppModule {
  client(o: {
    service: string;
    domain: string;
    resource: string;
    username: string;
    credentials: (
      authenticate: (creds: { username: string; password: string }, mechanism: string) => Promise<void>,
    ) => Promise<void>;
    timeout: number;
  }): XmppClient;
  xml(name: string, attrs?: Record<string, string>, ...children: (XmlElement | string)[]): XmlElement;
}
// A variable specifier keeps TypeScript from looking for the declarations the package lacks.
const XMPP_CLIENT = '@xmpp/client';
let xmppModule: Promise<XmppModule> | null = null;

async function connectClient(o: {
  port: number;
  user: number;
  rooms: string[];
  onCount?: ((n: number) => void) | undefined;
}): Promise<PeerClient> {
  if (!xmppModule) xmppModule = import(XMPP_CLIENT) as Promise<XmppModule>;
  const { client, xml } = await xmppModule;
  const { port, rooms } = o;
  const nick = `u${o.user}`;
  const xmpp = client({
    service: `xmpp://127.0.0.1:${port}`,
    domain: HOST,
    resource: 'bench',
    username: nick,
    // @xmpp/client uses PLAIN only over TLS; here, on loopback, it is the one mechanism the
    // server offers (see ejabberd.yml), so it is chosen explicitly.
    credentials: (authenticate) => authenticate({ username: nick, password: PASSWORD }, 'PLAIN'),
    // The library's 2 s default is too short for a step of a 5,000-client connect storm.
    timeout: 60_000,
  });
  // A dropped session must show up as missing deliveries, not be papered over by a new one.
  xmpp.reconnect.stop();
  let closing = false;
  let lastError: unknown = null;
  const joining = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  const peer: PeerClient = {
    onCount: o.onCount ?? (() => {}),
    onBody: null,
    send(to, body) {
      const type = to.endsWith(`@${MUC}`) ? 'groupchat' : 'chat';
      xmpp.send(xml('message', { to, type }, xml('body', {}, body))).catch((e: unknown) => {
        lastError = e;
      });
    },
    async flush() {
      await xmpp.iqCaller.request(
        xml('iq', { type: 'get', to: HOST }, xml('ping', { xmlns: 'urn:xmpp:ping' })),
        300_000,
      );
    },
    async close() {
      closing = true;
      await xmpp.stop().catch(() => {});
    },
  };
  xmpp.on('error', (e) => {
    lastError = e;
  });
  xmpp.on('disconnect', () => {
    const shutdown = (lastError as { condition?: string } | null)?.condition === 'system-shutdown';
    if (!closing && !shutdown) console.error(`ejabberd: ${nick} lost its connection`, lastError ?? '');
  });
  // Stored messages arrive right after the initial presence, before connect() resolves.
  xmpp.on('stanza', (el) => {
    if (el.name === 'message') {
      const body = el.getChildText('body');
      if (body === null) return;
      // MUC reflects a member's own message back, and join history carries a delay stamp;
      // neither is a delivery. (Offline 1:1 messages carry a delay stamp too and do count.)
      if (el.attrs.type === 'groupchat' && (el.attrs.from?.endsWith(`/${nick}`) || el.getChild('delay'))) return;
      peer.onBody?.(body);
      peer.onCount(1);
    } else if (el.name === 'presence' && el.attrs.from) {
      const wait = joining.get(el.attrs.from);
      if (!wait) return;
      joining.delete(el.attrs.from);
      if (el.attrs.type === 'error') wait.reject(new Error(`${nick} could not join ${el.attrs.from}`));
      else wait.resolve();
    }
  });
  await xmpp.start();
  await xmpp.send(xml('presence'));
  // The room answers a join with the member's own presence, after everyone else's.
  await Promise.all(
    rooms.map(
      (room) =>
        new Promise<void>((resolve, reject) => {
          joining.set(`${room}/${nick}`, { resolve, reject });
          const x = xml('x', { xmlns: 'http://jabber.org/protocol/muc' }, xml('history', { maxstanzas: '0' }));
          xmpp.send(xml('presence', { to: `${room}/${nick}` }, x)).catch(reject);
        }),
    ),
  );
  // The initial presence is processed before the ping: from here on the session is available,
  // so chat messages to the bare JID reach it instead of offline storage.
  await peer.flush();
  return peer;
}
