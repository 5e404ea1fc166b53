import type {
  CsatRequest,
  StartVisitorRequest,
  VisitorConversation,
  VisitorSession,
  WidgetConfig,
} from '@kurier/protocol';

interface Context {
  request: <TResult>(method: string, path: string, body?: unknown) => Promise<TResult>;
  /** Makes the client act as the visitor from now on. */
  adopt: (session: VisitorSession) => void;
}

/**
 * The customer's side of one inbox, as the web chat widget and guest links use it. After
 * `startVisitor` the client acts as the visitor: `connect`, `send`, `history` and receipts work on
 * the visitor's own conversations.
 *
 * @example
 * const widget = client.widget('wk_…');
 * const config = await widget.config();
 * await widget.startVisitor({ name: 'Eva', email: 'eva@example.com', consent: true });
 * const { conversation } = await widget.startConversation('Hallo!', newClientMsgId());
 * await client.connect();
 */
export class WidgetApi {
  readonly #ctx: Context;
  readonly #base: string;

  constructor(ctx: Context, key: string) {
    this.#ctx = ctx;
    this.#base = `/api/v1/widget/${encodeURIComponent(key)}`;
  }

  async config(): Promise<WidgetConfig> {
    return (await this.#ctx.request<{ config: WidgetConfig }>('GET', this.#base)).config;
  }

  /** The pre-chat form; the client keeps the visitor's token (store it to survive reloads). */
  async startVisitor(form: StartVisitorRequest): Promise<VisitorSession> {
    const session = await this.#ctx.request<VisitorSession>('POST', `${this.#base}/visitors`, form);
    this.#ctx.adopt(session);
    return session;
  }

  /** A new conversation with its first message; a retry with the same clientMsgId returns it again. */
  async startConversation(text: string, clientMsgId: string): Promise<VisitorConversation> {
    return (
      await this.#ctx.request<{ conversation: VisitorConversation }>('POST', `${this.#base}/conversations`, {
        text,
        clientMsgId,
      })
    ).conversation;
  }

  async conversations(): Promise<VisitorConversation[]> {
    return (await this.#ctx.request<{ conversations: VisitorConversation[] }>('GET', `${this.#base}/conversations`))
      .conversations;
  }

  /** Where the customer's transcript of a conversation downloads from (send the token with it). */
  transcriptPath(conversationId: string, lang: string): string {
    return `${this.#base}/conversations/${encodeURIComponent(conversationId)}/transcript?lang=${encodeURIComponent(lang)}`;
  }

  /** Rates a resolved conversation (1–5), once. */
  async rate(conversationId: string, rating: CsatRequest): Promise<VisitorConversation> {
    return (
      await this.#ctx.request<{ conversation: VisitorConversation }>(
        'POST',
        `${this.#base}/conversations/${encodeURIComponent(conversationId)}/csat`,
        rating,
      )
    ).conversation;
  }
}
