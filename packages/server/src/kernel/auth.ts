import type { Role } from '@kurier/protocol';
import type { FastifyRequest } from 'fastify';
import { KurierError } from './errors.js';

/** A staff role, or `contact` for a customer's session (widget or guest link). */
export type ActorRole = Role | 'contact';

/** Who is acting: resolved from a session token once per request or connection. */
export interface Actor {
  userId: string;
  role: ActorRole;
  sessionId: string;
  /** When the session stops being valid (epoch ms); live connections close then. */
  expiresAt: number;
}

/** Reads the bearer token from an HTTP request, or null. */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1] ?? null;
}

/** The actor of an authenticated request; routes registered with `auth` always have one. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new KurierError('UNAUTHENTICATED');
  return request.actor;
}

/** Throws FORBIDDEN unless the actor has one of the roles. */
export function requireRole(actor: Actor, ...roles: ActorRole[]): void {
  if (!roles.includes(actor.role)) throw new KurierError('FORBIDDEN');
}

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
  }
}
