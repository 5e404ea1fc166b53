import type {
  InboxStatus,
  Member,
  Message,
  StartVisitorRequest,
  VisitorConversation,
  WidgetConfig,
} from '@kurier/protocol';
import { Emitter, KurierApiError, KurierClient, newClientMsgId, type WidgetApi } from '@kurier/sdk';
import type { WidgetStorage } from './storage.js';

const TOKEN_KEY = 'token';

/** What the widget shows; every change emits `change`. */
export interface WidgetState {
  config: WidgetConfig | null;
  error: string | null;
  /** The visitor's conversations, newest first; null before the pre-chat form. */
  conversations: VisitorConversation[] | null;
  /** The conversation on screen. */
  current: string | null;
  messages: Map<string, Message[]>;
  members: Map<string, Member[]>;
  typing: Map<string, Set<string>>;
  online: boolean;
  upload: { name: string; progress: number } | null;
}

/**
 * The widget's model over the SDK: config, the visitor's session (kept in localStorage), their
 * conversations with messages, receipts and typing, and the actions of the UI.
 */
export class WidgetSession extends Emitter<{ change: [] }> {
  readonly client: KurierClient;
  readonly #api: WidgetApi;
  readonly #storage: WidgetStorage;
  state: WidgetState = {
    config: null,
    error: null,
    conversations: null,
    current: null,
    messages: new Map(),
    members: new Map(),
    typing: new Map(),
    online: true,
    upload: null,
  };

  constructor({ baseUrl, key, storage }: { baseUrl: string; key: string; storage: WidgetStorage }) {
    super();
    this.#storage = storage;
    this.client = new KurierClient({ baseUrl, storage: this.#storage });
    this.#api = this.client.widget(key);
    this.client.on('message', (m) => this.#upsert(m));
    this.client.on('member', (m) => {
      const list = (this.state.members.get(m.conversationId) ?? []).filter((x) => x.userId !== m.userId);
      this.state.members.set(m.conversationId, [...list, m]);
      this.#changed();
    });
    this.client.on('typing', ({ conversationId, userId, typing }) => {
      const set = new Set(this.state.typing.get(conversationId));
      if (typing) set.add(userId);
      else set.delete(userId);
      this.state.typing.set(conversationId, set);
      this.#changed();
    });
    this.client.on('state', (s) => {
      this.state.online = s.status === 'open';
      if (s.status === 'closed' && s.reason === 'unauthenticated') this.#forget('blocked');
      this.#changed();
    });
  }

  #changed(): void {
    this.emit('change');
  }

  #upsert(m: Message): void {
    if (m.type === 'note') return;
    const list = this.state.messages.get(m.conversationId) ?? [];
    const i = list.findIndex((x) => x.id === m.id);
    const next = i >= 0 ? list.map((x, j) => (j === i ? m : x)) : [...list, m].sort((a, b) => a.seq - b.seq);
    this.state.messages.set(m.conversationId, next);
    // The customer speaks; staff typing stops with their message.
    this.state.typing.get(m.conversationId)?.delete(m.senderId);
    this.#changed();
  }

  #forget(error: string | null): void {
    this.client.close();
    this.#storage.clear();
    this.state.conversations = null;
    this.state.current = null;
    this.state.error = error;
  }

  #fail(err: unknown): void {
    const code = err instanceof KurierApiError ? err.code : 'INTERNAL';
    this.state.error =
      code === 'WIDGET_KEY_INVALID'
        ? 'badKey'
        : code === 'RATE_LIMITED'
          ? 'tooMany'
          : code === 'CONTACT_BLOCKED'
            ? 'blocked'
            : 'error';
    this.#changed();
  }

  /** Loads the config and, with a stored session, the visitor's conversations. */
  async open(): Promise<void> {
    try {
      this.state.config = await this.#api.config();
    } catch (err) {
      this.#fail(err);
      return;
    }
    const token = await this.#storage.get(TOKEN_KEY);
    if (token) {
      this.client.useToken(token);
      try {
        await this.#loadConversations();
        await this.client.connect();
      } catch (err) {
        // An expired or revoked session means the form again, not an error screen.
        if (err instanceof KurierApiError && (err.code === 'SESSION_EXPIRED' || err.code === 'UNAUTHENTICATED'))
          this.#forget(null);
        else this.#fail(err);
      }
    }
    this.#changed();
  }

  async #loadConversations(): Promise<void> {
    const list = await this.#api.conversations();
    this.state.conversations = list;
    for (const c of list) this.state.members.set(c.conversation.id, c.members);
    const first = list[0];
    this.state.current = first ? first.conversation.id : null;
    if (first) await this.loadHistory(first.conversation.id);
  }

  async loadHistory(conversationId: string): Promise<void> {
    const page = await this.client.history(conversationId, { limit: 100 });
    for (const m of page.messages) this.#upsert(m);
  }

  /** The pre-chat (or offline) form with the first message. */
  async start(form: StartVisitorRequest, text: string): Promise<boolean> {
    try {
      if (!(await this.#storage.get(TOKEN_KEY))) {
        const session = await this.#api.startVisitor(form);
        await this.#storage.set(TOKEN_KEY, session.token);
      }
      await this.newConversation(text);
      await this.client.connect();
      return true;
    } catch (err) {
      this.#fail(err);
      return false;
    }
  }

  /** Another conversation for a returning visitor. */
  async newConversation(text: string): Promise<void> {
    const started = await this.#api.startConversation(text, newClientMsgId());
    this.state.conversations = [started, ...(this.state.conversations ?? [])];
    this.state.current = started.conversation.id;
    this.state.members.set(started.conversation.id, started.members);
    this.state.error = null;
    await this.loadHistory(started.conversation.id);
  }

  async send(text: string): Promise<void> {
    const id = this.state.current;
    if (!id || !text.trim()) return;
    this.client.typing(id, false);
    await this.client.send(id, text.trim());
  }

  async sendFile(file: File): Promise<void> {
    const id = this.state.current;
    if (!id) return;
    this.state.upload = { name: file.name, progress: 0 };
    this.#changed();
    try {
      const media = await this.client.upload(file, file.name, {
        onProgress: (sent, total) => {
          this.state.upload = { name: file.name, progress: total > 0 ? sent / total : 0 };
          this.#changed();
        },
      });
      await this.client.send(id, '', { mediaId: media.id });
    } catch (err) {
      this.#fail(err);
    } finally {
      this.state.upload = null;
      this.#changed();
    }
  }

  async rate(score: number, comment: string): Promise<void> {
    const id = this.state.current;
    if (!id) return;
    try {
      const rated = await this.#api.rate(id, comment ? { score, comment } : { score });
      this.state.conversations = (this.state.conversations ?? []).map((c) => (c.conversation.id === id ? rated : c));
      this.#changed();
    } catch (err) {
      this.#fail(err);
    }
  }

  /** Marks what the visitor sees as read (their staff see "read"). */
  markRead(): void {
    const id = this.state.current;
    const last = this.state.messages.get(id ?? '')?.at(-1);
    if (id && last && last.senderId !== this.client.userId) void this.client.markRead(id, last.seq).catch(() => {});
  }

  /** The conversation's status as the customer sees it, from its system messages. */
  status(conversationId: string): InboxStatus {
    const events = (this.state.messages.get(conversationId) ?? []).flatMap((m) =>
      m.system?.event === 'status_changed' ? [m.system.status] : [],
    );
    const listed = this.state.conversations?.find((c) => c.conversation.id === conversationId)?.status ?? 'open';
    return events.at(-1) ?? listed;
  }

  transcriptUrl(lang: string): string | null {
    const id = this.state.current;
    return id ? this.#api.transcriptPath(id, lang) : null;
  }
}
