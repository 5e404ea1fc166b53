import { EventEmitter } from 'node:events';
import type { ServerFrame } from '@kurier/protocol';

/** What domains announce after a commit; the realtime hub listens. Redis carries it when scaled out. */
export interface BusEvents {
  /** Frame for every connection of these users. */
  deliver: [{ userIds: readonly string[]; frame: ServerFrame }];
  /** These sessions were revoked: close their connections. */
  sessionsRevoked: [{ sessionIds: readonly string[] }];
  /** Membership of a conversation changed: drop cached member lists. */
  membershipChanged: [{ conversationId: string }];
  /** Teams, inboxes or roles changed: who may watch customer conversations is to be recomputed. */
  accessChanged: [];
}

/** The in-process bus: typed publish/subscribe. */
export class Bus extends EventEmitter<BusEvents> {}
