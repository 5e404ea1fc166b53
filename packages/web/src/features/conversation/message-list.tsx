import type { ConversationDetail, Message } from '@kurier/protocol';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDay, startOfDay } from '../../lib/format';
import type { PendingMessage } from '../../lib/store';
import { countsAsUnread, hasUnread } from '../../lib/unread';
import { useChat, useStore } from '../../lib/use-chat';
import { Icon } from '../../ui/icons';
import { type ComposeAction, MessageItem, PendingItem } from './message-item';

type Row =
  | { key: string; kind: 'message'; message: Message; day: string | null; unreadDivider: boolean }
  | { key: string; kind: 'pending'; entry: PendingMessage; day: string | null };

const EMPTY: Message[] = [];
const estimateRowSize = () => 64;
const NEAR_BOTTOM_PX = 80;

/**
 * The history of one conversation, virtualised: only the rows near the viewport are in the DOM,
 * so 10,000 loaded messages scroll like 50. Scrolling to the top loads the page before; new
 * messages keep the view at the bottom when it was there.
 */
export function MessageList({
  detail,
  firstUnreadSeq,
  onCompose,
}: {
  detail: ConversationDetail;
  firstUnreadSeq: number | null;
  onCompose: (action: ComposeAction) => void;
}) {
  const { t } = useTranslation();
  const store = useStore();
  const id = detail.conversation.id;
  const messages = useChat((s) => s.messages[id] ?? EMPTY);
  const hasMore = useChat((s) => s.hasMore[id]);
  const pendingAll = useChat((s) => s.pending);
  const me = useChat((s) => s.me?.id);
  const parentRef = useRef<HTMLDivElement>(null);
  const [atBottom, setAtBottom] = useState(true);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const positioned = useRef(false);
  const prepend = useRef<{ total: number } | null>(null);
  /** The scroll position as of the last scroll event: reading it later could force a layout. */
  const scrollTop = useRef(0);

  const rows = useMemo(
    () => buildRows({ messages, pending: pendingAll, conversationId: id, firstUnreadSeq, me }),
    [messages, pendingAll, id, firstUnreadSeq, me],
  );
  // A new getItemKey makes the virtualizer recompute every row's position (10,000 when scrolled
  // far back): it must change with the rows only, not on each render while scrolling.
  const getItemKey = useCallback((i: number) => rows[i]?.key ?? i, [rows]);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => parentRef.current,
    estimateSize: estimateRowSize,
    getItemKey,
    overscan: 12,
    // Rows for a new scroll position render in React's next task instead of inside the scroll
    // event, so a scroll step and an arriving history page do not share one long frame.
    useFlushSync: false,
  });

  // First paint: at the first unread message if there is one, else at the bottom.
  useLayoutEffect(() => {
    if (positioned.current || hasMore === undefined || rows.length === 0) return;
    positioned.current = true;
    const unread = rows.findIndex((r) => r.kind === 'message' && r.unreadDivider);
    virtualizer.scrollToIndex(unread >= 0 ? unread : rows.length - 1, { align: unread >= 0 ? 'start' : 'end' });
  }, [rows, hasMore, virtualizer]);

  // Older page prepended: keep the same message under the reader's eyes. The shift is the
  // virtualizer's new total height minus the old one (no DOM read, so no forced layout); rows
  // measured later correct themselves through the virtualizer's own scroll adjustment.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs after each new set of rows
  useLayoutEffect(() => {
    const el = parentRef.current;
    const before = prepend.current;
    if (!el || !before) return;
    prepend.current = null;
    const shift = virtualizer.getTotalSize() - before.total;
    if (shift > 0) {
      scrollTop.current += shift;
      el.scrollTop = scrollTop.current;
    }
  }, [rows]);

  // New rows at the end: follow them if the reader was at the bottom, or if they are mine.
  const last = rows.at(-1);
  const lastMine = last?.kind === 'pending' || (last?.kind === 'message' && last.message.senderId === me);
  useEffect(() => {
    if (positioned.current && (atBottom || lastMine) && rows.length > 0) {
      virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
    }
  }, [rows.length, atBottom, lastMine, virtualizer]);

  // Rows that grow after they were measured (an image decoded, a PDF page drawn) must not push
  // the newest message out of view while the reader is at the bottom.
  const totalSize = virtualizer.getTotalSize();
  useEffect(() => {
    if (positioned.current && atBottom && rows.length > 0 && totalSize > 0) {
      virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
    }
  }, [totalSize, atBottom, rows.length, virtualizer]);

  const loadOlder = useCallback(async () => {
    const el = parentRef.current;
    if (!el || loadingOlder || !hasMore) return;
    setLoadingOlder(true);
    prepend.current = { total: virtualizer.getTotalSize() };
    try {
      await store.loadHistory(id, true);
    } catch {
      prepend.current = null;
    } finally {
      setLoadingOlder(false);
    }
  }, [store, id, loadingOlder, hasMore, virtualizer]);

  const onScroll = () => {
    const el = parentRef.current;
    if (!el) return;
    scrollTop.current = el.scrollTop;
    setAtBottom(el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX);
    // Three screens ahead: the next page is usually there before the reader reaches the top.
    if (el.scrollTop < el.clientHeight * 3 && positioned.current) void loadOlder();
  };

  useMarkRead(detail, atBottom && rows.length > 0);

  return (
    <div className="message-scroller" ref={parentRef} onScroll={onScroll} data-testid="message-list">
      <div className="history-edge">
        {hasMore === false ? t('conversation.beginning') : loadingOlder ? t('conversation.loadingOlder') : ' '}
      </div>
      {rows.length === 0 && hasMore === false ? <p className="empty-state small">{t('conversation.empty')}</p> : null}
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = rows[item.index];
          if (!row) return null;
          return (
            <div
              key={item.key}
              data-index={item.index}
              ref={virtualizer.measureElement}
              className="row"
              style={{ transform: `translateY(${item.start}px)` }}
            >
              {row.day ? (
                <div className="day-separator">
                  <span>{row.day}</span>
                </div>
              ) : null}
              {row.kind === 'message' && row.unreadDivider ? (
                <div className="unread-divider">
                  <span>{t('conversation.unreadDivider')}</span>
                </div>
              ) : null}
              {row.kind === 'message' ? (
                <MessageItem message={row.message} detail={detail} onCompose={onCompose} />
              ) : (
                <PendingItem entry={row.entry} />
              )}
            </div>
          );
        })}
      </div>
      {!atBottom ? (
        <button
          type="button"
          className="jump-latest"
          onClick={() => virtualizer.scrollToIndex(rows.length - 1, { align: 'end' })}
        >
          <Icon name="down" size={16} /> {t('conversation.jumpToLatest')}
        </button>
      ) : null}
    </div>
  );
}

function buildRows({
  messages,
  pending,
  conversationId,
  firstUnreadSeq,
  me,
}: {
  messages: readonly Message[];
  pending: Record<string, PendingMessage>;
  conversationId: string;
  firstUnreadSeq: number | null;
  me: string | undefined;
}): Row[] {
  const rows: Row[] = [];
  // My own messages after my watermark are not unread: the divider goes above the first of
  // someone else's, and only once.
  let dividerFrom = firstUnreadSeq ?? Number.POSITIVE_INFINITY;
  let lastDay = -1;
  const dayOf = (ms: number) => {
    const d = startOfDay(ms);
    if (d === lastDay) return null;
    lastDay = d;
    return formatDay(ms);
  };
  for (const message of messages) {
    const unreadDivider = message.seq >= dividerFrom && countsAsUnread(message, me);
    if (unreadDivider) dividerFrom = Number.POSITIVE_INFINITY;
    rows.push({ key: message.id, kind: 'message', message, day: dayOf(message.createdAt), unreadDivider });
  }
  const mine = Object.values(pending)
    .filter((p) => p.conversationId === conversationId)
    .sort((a, b) => a.createdAt - b.createdAt);
  for (const entry of mine)
    rows.push({ key: `p:${entry.clientMsgId}`, kind: 'pending', entry, day: dayOf(entry.createdAt) });
  return rows;
}

/**
 * Moves my read watermark once the newest messages are on screen in a focused window, and only
 * when someone else wrote after it: my own messages are never unread, so sending one costs no
 * receipt (each receipt is a commit and a frame to every member).
 */
function useMarkRead(detail: ConversationDetail, visible: boolean): void {
  const store = useStore();
  const me = useChat((s) => s.me?.id);
  const id = detail.conversation.id;
  const readSeq = detail.members.find((m) => m.userId === me)?.readSeq ?? 0;
  const lastSeq = detail.conversation.lastSeq;
  const unread = useChat((s) => hasUnread(s.messages[id] ?? EMPTY, { readSeq, lastSeq, me }));
  const [focused, setFocused] = useState(() => !document.hidden && document.hasFocus());
  useEffect(() => {
    const update = () => setFocused(!document.hidden && document.hasFocus());
    window.addEventListener('focus', update);
    window.addEventListener('blur', update);
    document.addEventListener('visibilitychange', update);
    return () => {
      window.removeEventListener('focus', update);
      window.removeEventListener('blur', update);
      document.removeEventListener('visibilitychange', update);
    };
  }, []);
  useEffect(() => {
    if (!visible || !focused || !unread) return;
    const timer = setTimeout(() => void store.client.markRead(id, lastSeq).catch(() => {}), 300);
    return () => clearTimeout(timer);
  }, [visible, focused, lastSeq, unread, store, id]);
}
