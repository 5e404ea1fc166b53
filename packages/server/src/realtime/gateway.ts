import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { type WebSocket, WebSocketServer } from 'ws';
import { type RealtimeDeps, RealtimeSession } from './session.js';

// ws closes a connection whose frame exceeds maxPayload (1009). Frames between the protocol
// limit (64 KiB) and this hard cap get a typed FRAME_TOO_LARGE error and the connection lives.
const HARD_MAX_PAYLOAD = 1024 * 1024;
const HEARTBEAT_MS = 30_000;
const PATH = '/ws';

/**
 * Serves `GET /ws`, the realtime endpoint; returns a function that closes every session.
 *
 * The upgrade is taken from the HTTP server directly rather than routed through Fastify: a routed
 * upgrade keeps Fastify's request, reply, logger and the raw request with its headers alive for
 * the socket's whole life (~3 KiB per idle connection, measured), and the socket needs none of
 * them once the handshake is done. Authentication happens in the `hello` frame anyway.
 */
export function realtimeGateway(app: FastifyInstance, deps: Omit<RealtimeDeps, 'log'>) {
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload: HARD_MAX_PAYLOAD });
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

  const onUpgrade = (request: IncomingMessage, tcp: Duplex, head: Buffer) => {
    const path = (request.url ?? '').split('?', 1)[0];
    if (path !== PATH) {
      tcp.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // ws answers a bad handshake (wrong version, missing key) with 400 itself.
    wss.handleUpgrade(request, tcp, head, (socket) => {
      const entry = { session: new RealtimeSession(socket, sessionDeps), alive: true };
      sockets.set(socket, entry);
      socket.on('pong', () => {
        entry.alive = true;
      });
      socket.on('close', () => sockets.delete(socket));
    });
  };
  app.server.on('upgrade', onUpgrade);
  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    app.server.off('upgrade', onUpgrade);
    for (const socket of sockets.keys()) socket.terminate();
    wss.close();
  });

  return {
    shutdown(): void {
      for (const { session } of sockets.values()) session.shutdown();
    },
  };
}
