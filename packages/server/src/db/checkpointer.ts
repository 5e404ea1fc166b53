import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// Runs in its own thread with its own connection. A checkpoint copies WAL pages into the
// database file and fsyncs it; done by the writer's connection it would stall every send
// queued behind that commit. Each pass reports the WAL's size.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try {
    const [pass] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ log: pass.log });
  } catch {}
}, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); process.exit(0); });
`;

/** One background pass: the frames in the WAL when it ran. */
export interface CheckpointPass {
  log: number;
}

/** Checkpoints the WAL from a worker thread until stopped, reporting each pass to `onPass`. */
export function startCheckpointer(
  path: string,
  { intervalMs = 1000, onPass = () => {} }: { intervalMs?: number; onPass?: (pass: CheckpointPass) => void } = {},
): { stop(): Promise<void> } {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, intervalMs, driver } });
  worker.unref();
  worker.on('message', onPass);
  return {
    async stop() {
      // Unreferenced, the worker would not keep the process alive long enough to say goodbye.
      worker.ref();
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.postMessage('stop');
      await exited;
    },
  };
}
