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
// One pass at a time, and the next only once the main thread has answered this one: whatever
// it does about the pass (a checkpoint of its own) never collides with the next pass.
let timer = setTimeout(pass, workerData.intervalMs);
function pass() {
  let log = -1;
  try { log = db.pragma('wal_checkpoint(PASSIVE)')[0].log; } catch {}
  parentPort.postMessage({ log });
}
parentPort.on('message', (m) => {
  if (m === 'next') { timer = setTimeout(pass, workerData.intervalMs); return; }
  clearTimeout(timer); db.close(); process.exit(0);
});
`;

/** One background pass: the frames in the WAL when it ran (-1: the pass failed). */
export interface CheckpointPass {
  log: number;
}

/**
 * Checkpoints the WAL from a worker thread until stopped, reporting each pass to `onPass`; the
 * next pass waits until what `onPass` returns has settled.
 */
export function startCheckpointer(
  path: string,
  {
    intervalMs = 1000,
    onPass = () => {},
  }: { intervalMs?: number; onPass?: (pass: CheckpointPass) => Promise<void> | void } = {},
): { stop(): Promise<void> } {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, intervalMs, driver } });
  worker.unref();
  worker.on('message', (pass: CheckpointPass) => {
    void Promise.resolve(onPass(pass)).finally(() => worker.postMessage('next'));
  });
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
