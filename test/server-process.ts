import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** The `kurier` command. */
export const BIN = join(import.meta.dirname, '..', 'packages', 'server', 'bin', 'kurier.js');

/** A free loopback port (the server must come back on the same one after a crash). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Runs a `kurier` command to completion (e.g. `owner create`); throws with its stderr on failure. */
export function kurierCommand(args: string[], env: Record<string, string>, input?: string): string {
  return execFileSync(process.execPath, [BIN, ...args], {
    env: { ...process.env, KURIER_LOG_LEVEL: 'silent', ...env },
    input,
    encoding: 'utf8',
  });
}

/** The real server as a child process, started with `kurier serve`. */
export class ServerProcess {
  #child: ChildProcess | null = null;
  readonly url: string;

  constructor(
    readonly port: number,
    readonly env: Record<string, string>,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Starts the process and resolves once /healthz answers. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [BIN, 'serve'], {
      env: { ...process.env, KURIER_LOG_LEVEL: 'warn', ...this.env, PORT: String(this.port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    this.#child = child;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
      try {
        if ((await fetch(`${this.url}/healthz`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('server did not become healthy');
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed by the process. */
  async crash(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    this.#child = null;
  }
}
