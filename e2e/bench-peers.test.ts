import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';

// Issue 6: `npm run bench:peers` cleans up after itself even when interrupted. Each case starts a
// real run, interrupts it in the middle of a scenario (its server up, its clients provisioning or
// sending), and looks for what it left: processes it started and the temporary directories of
// their data and configs. ejabberd (a large Erlang install) is left to `--smoke`.

const ROOT = join(import.meta.dirname, '..');
// The directories of bench:peers' servers (bench/src/target.ts, peers/*.ts); other benches' tests,
// which may run meanwhile (send-path's), make theirs under other names.
const TEMP = /^kurier-(bench-(kurier|baseline|durable-baseline)|peers)-/;

/** Every process below `pid`, by the parent ids in /proc. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name in field 2 may hold spaces: the parent id follows its closing parenthesis.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Gone meanwhile.
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const child of parents.get(p) ?? []) {
      out.push(child);
      walk(child);
    }
  };
  walk(pid);
  return out;
}

const commandLine = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
};

/** Alive and not a zombie waiting for its parent. */
const running = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

/** Each system, what its server's command line names, and the binary it needs from Debian. */
const SYSTEMS: { name: string; server: string; needs?: string }[] = [
  { name: 'kurier', server: 'kurier-server.ts' },
  { name: 'mosquitto-qos1', server: '/usr/sbin/mosquitto', needs: '/usr/sbin/mosquitto' },
];

describe('bench:peers, interrupted', () => {
  for (const system of SYSTEMS) {
    const installed = !system.needs || existsSync(system.needs);
    if (!installed) {
      if (process.env.CI) throw new Error(`CI installs ${system.needs} (.ci/run): it is missing`);
      console.warn(
        `\n  ⚠ ${system.needs} is missing: the bench:peers interruption test of ${system.name} is SKIPPED\n`,
      );
    }
    it.skipIf(!installed)(
      `B1: SIGINT in the middle of a scenario on ${system.name} stops its server and removes its files`,
      async () => {
        const before = new Set(readdirSync(tmpdir()).filter((n) => TEMP.test(n)));
        const run = spawn(
          process.execPath,
          ['--import', 'tsx', 'bench/src/peers/run.ts', '--quick', '--only=throughput', `--systems=${system.name}`],
          { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let output = '';
        run.stdout?.on('data', (d) => {
          output += d;
        });
        run.stderr?.on('data', (d) => {
          output += d;
        });
        const done = exited(run);
        const pid = run.pid as number;
        let seen: number[] = [];
        await vi.waitFor(
          () => {
            seen = descendants(pid);
            expect(seen.some((p) => commandLine(p).includes(system.server))).toBe(true);
          },
          { timeout: 60_000, interval: 100 },
        );
        // Into the scenario: its clients provision and connect, then send, after the server is up.
        await new Promise((r) => setTimeout(r, 3000));
        seen = [...new Set([...seen, ...descendants(pid)])];
        expect(seen.some((p) => commandLine(p).includes(system.server))).toBe(true);
        run.kill('SIGINT');
        expect(await done, output).toBe(130);
        expect(output).toContain(`SIGINT: stopping ${system.name}`);
        await vi.waitFor(() => expect(seen.filter(running)).toEqual([]), { timeout: 10_000, interval: 100 });
        expect(readdirSync(tmpdir()).filter((n) => TEMP.test(n) && !before.has(n))).toEqual([]);
      },
      90_000,
    );
  }
});

describe('bench:peers, its Kurier drivers', () => {
  for (const client of ['sdk', 'wire']) {
    it(`B2: --client=${client} delivers 1:1, to a group and offline on Kurier, and 1:1 and to a group on both relays`, async () => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          '--import',
          'tsx',
          'bench/src/peers/run.ts',
          '--smoke',
          '--systems=kurier,plain-ws,durable-ws',
          `--client=${client}`,
        ],
        { cwd: ROOT },
      );
      const ok = stdout.split('\n').filter((l) => l.startsWith('ok '));
      expect(ok).toContain('ok   kurier: 1:1: 50 sent, 50 received');
      expect(ok).toContain('ok   kurier: offline: 100 sent while away, 100 received once back');
      for (const system of ['kurier', 'plain-ws', 'durable-ws'])
        expect(ok).toContain(`ok   ${system}: group: 20 sent, received 20/20/20 by the 3 others`);
      expect(stdout).toContain('all checks passed');
    }, 60_000);
  }
});
