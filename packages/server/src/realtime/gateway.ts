import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { type RealtimeDeps, RealtimeSession } from './session.js';

// ws closes a connection whose frame exceeds maxPayload (1009). Frames between the protocol
// limit (64 KiB) and this hard cap get a typed FRAME_TOO_LARGE error and the connection lives.
const HARD_MAX_PAYLOAD = 1024 * 1024;
const HEARTBEAT_MS = 30_000;

/** Registers `GET /ws`, the realtime endpoint; returns a function that closes every session. */
export async function realtimeGateway(app: FastifyInstance, deps: Omit<RealtimeDeps, 'log'>) {
  await app.register(websocket, { options: { maxPayload: HARD_MAX_PAYLOAD } });
  const sessionDeps: RealtimeDeps = { ...deps, log: app.log };
  // One timer for all sockets instead of one per connection (memory per idle connection counts).
  const sockets = new Map<WebSocket, { session: RealtimeSession; alive: boolean }>();

  // Heartbeats find peers that vanished without a close (laptop lid, NAT timeout).
  const heartbeat = setInterval(() => {
    for (const [socket, entry] of sockets) {
      if (!entry.alive) {
        socket.terminate();
        continue;
      }
      entry.alive = false;
      socket.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  app.addHook('onClose', async () => clearInterval(heartbeat));

  app.get('/ws', { websocket: true }, (socket) => {
    const entry = { session: new RealtimeSession(socket, sessionDeps), alive: true };
    sockets.set(socket, entry);
    socket.on('pong', () => {
      entry.alive = true;
    });
    socket.on('close', () => sockets.delete(socket));
  });

  return {
    shutdown(): void {
      for (const { session } of sockets.values()) session.shutdown();
    },
  };
}
