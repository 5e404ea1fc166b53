import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { type RealtimeDeps, RealtimeSession } from './session.js';

// ws closes a connection whose frame exceeds maxPayload (1009). Frames between the protocol
// limit (64 KiB) and this hard cap get a typed FRAME_TOO_LARGE error and the connection lives.
const HARD_MAX_PAYLOAD = 1024 * 1024;
const HEARTBEAT_MS = 30_000;

/** Registers `GET /ws`, the realtime endpoint; returns a function that closes every session. */
export async function realtimeGateway(app: FastifyInstance, deps: Omit<RealtimeDeps, 'log'>) {
  await app.register(websocket, { options: { maxPayload: HARD_MAX_PAYLOAD } });
  const sessions = new Set<RealtimeSession>();

  app.get('/ws', { websocket: true }, (socket) => {
    const session = new RealtimeSession(socket, { ...deps, log: app.log });
    sessions.add(session);
    let alive = true;
    socket.on('pong', () => {
      alive = true;
    });
    // Heartbeats find peers that vanished without a close (laptop lid, NAT timeout).
    const heartbeat = setInterval(() => {
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    }, HEARTBEAT_MS);
    socket.on('close', () => {
      clearInterval(heartbeat);
      sessions.delete(session);
    });
  });

  return {
    shutdown(): void {
      for (const s of sessions) s.shutdown();
    },
  };
}
