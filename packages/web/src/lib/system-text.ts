import type { Message, User } from '@kurier/protocol';
import type { TFunction } from 'i18next';

/** A system message in the reader's language (the server stores only the event). */
export function systemText(message: Message, users: Record<string, User>, t: TFunction): string {
  const name = (id: string) => users[id]?.displayName ?? '…';
  const actor = name(message.senderId);
  const e = message.system;
  if (!e) return '';
  switch (e.event) {
    case 'created':
      return e.name ? t('system.created', { actor, name: e.name }) : t('system.createdDirect', { actor });
    case 'member_added':
      return t('system.member_added', { actor, names: e.userIds.map(name).join(', ') });
    case 'member_removed':
      return t('system.member_removed', { actor, names: e.userIds.map(name).join(', ') });
    case 'member_left':
      return t('system.member_left', { actor });
    case 'renamed':
      return t('system.renamed', { actor, name: e.name });
    case 'role_changed':
      return t('system.role_changed', { actor, name: name(e.userId), role: t(`group.${e.role}`) });
    case 'assigned':
      if (!e.userId) return t('system.unassigned', { actor });
      if (e.userId === message.senderId) return t('system.took', { actor });
      return t('system.assigned', { actor, name: users[e.userId]?.displayName ?? e.displayName ?? '…' });
    case 'auto_reply':
      if (e.reply === 'greeting') return t('system.greeting');
      return e.reply === 'queue' ? t('system.queue', { position: e.position ?? 1 }) : t('system.away');
    case 'status_changed':
      return t(`system.status_${e.status}`, { actor });
  }
}
