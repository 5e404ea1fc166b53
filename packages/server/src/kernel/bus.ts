import { EventEmitter } from 'node:events';
import type { Message, ServerFrame } from '@kurier/protocol';

/** What domains announce after a commit; the realtime hub listens. Redis carries it when scaled out. */
export interface BusEvents {
  /**
   * Frame for every connection of these users. `created` is the message whose creation the frame
   * announces: the connection whose send created it gets its ack in the frame's place (rule M12).
   */
  deliver: [{ userIds: readonly string[]; frame: ServerFrame; created?: Message | undefined }];
  /** These sessions were revoked: close their connections. */
  sessionsRevoked: [{ sessionIds: readonly string[] }];
  /** Membership of a conversation changed: drop cached member lists. */
  membershipChanged: [{ conversationId: string }];
  /** Teams, inboxes or roles changed: who may watch customer conversations is to be recomputed. */
  accessChanged: [];
}

/** The in-process bus: typed publish/subscribe. */
export class Bus extends EventEmitter<BusEvents> {}
