import type {
  Agent,
  CannedReply,
  CannedReplyRequest,
  ContactDetail,
  ContactImportResult,
  ContactList,
  ContactListQuery,
  Inbox,
  InboxAdmin,
  InboxCounts,
  InboxEntry,
  InboxItem,
  InboxPage,
  InboxQuery,
  InboxReport,
  ReportQuery,
  StatusRequest,
  Team,
  UpdateContactRequest,
} from '@kurier/protocol';

type Request = <TResult>(method: string, path: string, body?: unknown) => Promise<TResult>;

/** What InboxApi needs from the client: JSON requests, and text in and out (CSV). */
interface Context {
  request: Request;
  requestText: (path: string) => Promise<string>;
  postText: <TResult>(path: string, body: { text: string; contentType: string }) => Promise<TResult>;
}

const enc = encodeURIComponent;

function query(params: object): string {
  const pairs = Object.entries(params).filter(([, v]) => v !== undefined && v !== null);
  return pairs.length === 0 ? '' : `?${new URLSearchParams(pairs.map(([k, v]) => [k, String(v)])).toString()}`;
}

/**
 * The team inbox for staff: views, counts, assignment, status, labels, contacts and setup.
 * `KurierClient` exposes it as `client.inbox`; live changes arrive as `inbox` events.
 *
 * @example
 * const { items } = await client.inbox.view({ view: 'unassigned' });
 * await client.inbox.assign(items[0].conversationId, myUserId);
 * await client.send(items[0].conversationId, 'Guten Tag! Wie kann ich helfen?');
 */
export class InboxApi {
  readonly #request: Request;
  readonly #ctx: Context;

  constructor(ctx: Context) {
    this.#ctx = ctx;
    this.#request = ctx.request;
  }

  #act(conversationId: string, action: string, body: unknown): Promise<InboxItem> {
    return this.#request<{ item: InboxItem }>(
      'POST',
      `/api/v1/inbox/conversations/${enc(conversationId)}/${action}`,
      body,
    ).then((r) => r.item);
  }

  /** One page of a view (default: all open conversations), newest activity first. */
  view(q: InboxQuery = {}): Promise<InboxPage> {
    return this.#request('GET', `/api/v1/inbox/conversations${query(q)}`);
  }

  counts(): Promise<InboxCounts> {
    return this.#request('GET', '/api/v1/inbox/counts');
  }

  async get(conversationId: string): Promise<InboxEntry> {
    return (await this.#request<{ item: InboxEntry }>('GET', `/api/v1/inbox/conversations/${enc(conversationId)}`))
      .item;
  }

  /** Gives the conversation to someone (yourself to take it), or null to put it back in the queue. */
  assign(conversationId: string, assigneeId: string | null): Promise<InboxItem> {
    return this.#act(conversationId, 'assign', { assigneeId });
  }

  /** Hands the conversation to a team's queue. */
  transfer(conversationId: string, teamId: string): Promise<InboxItem> {
    return this.#act(conversationId, 'transfer', { teamId });
  }

  setStatus(conversationId: string, status: StatusRequest): Promise<InboxItem> {
    return this.#act(conversationId, 'status', status);
  }

  /** Joins without taking ownership, to reply alongside the owner. */
  join(conversationId: string): Promise<InboxItem> {
    return this.#act(conversationId, 'join', {});
  }

  async setLabels(conversationId: string, labels: string[]): Promise<InboxItem> {
    return (
      await this.#request<{ item: InboxItem }>('PUT', `/api/v1/inbox/conversations/${enc(conversationId)}/labels`, {
        labels,
      })
    ).item;
  }

  /**
   * Owners and admins: the report over conversations created in `[from, to)` (default: the last
   * 7 days). The CSV twin is `GET /api/v1/inbox/reports?format=csv` (a download, not JSON).
   */
  reports(q: Omit<ReportQuery, 'format'> = {}): Promise<InboxReport> {
    return this.#request('GET', `/api/v1/inbox/reports${query(q)}`);
  }

  async inboxes(): Promise<(Inbox | InboxAdmin)[]> {
    return (await this.#request<{ inboxes: (Inbox | InboxAdmin)[] }>('GET', '/api/v1/inboxes')).inboxes;
  }

  async teams(): Promise<Team[]> {
    return (await this.#request<{ teams: Team[] }>('GET', '/api/v1/teams')).teams;
  }

  async agents(): Promise<Agent[]> {
    return (await this.#request<{ agents: Agent[] }>('GET', '/api/v1/agents')).agents;
  }

  /** Admins: how many open conversations routing gives an agent. */
  async setCapacity(userId: string, capacity: number): Promise<void> {
    await this.#request('PATCH', `/api/v1/agents/${enc(userId)}`, { capacity });
  }

  async cannedReplies(): Promise<CannedReply[]> {
    return (await this.#request<{ cannedReplies: CannedReply[] }>('GET', '/api/v1/canned-replies')).cannedReplies;
  }

  async createCannedReply(input: CannedReplyRequest): Promise<CannedReply> {
    return (await this.#request<{ cannedReply: CannedReply }>('POST', '/api/v1/canned-replies', input)).cannedReply;
  }

  contacts(q: ContactListQuery = {}): Promise<ContactList> {
    return this.#request('GET', `/api/v1/contacts${query(q)}`);
  }

  contact(contactId: string): Promise<ContactDetail> {
    return this.#request('GET', `/api/v1/contacts/${enc(contactId)}`);
  }

  updateContact(contactId: string, patch: UpdateContactRequest): Promise<ContactDetail> {
    return this.#request('PATCH', `/api/v1/contacts/${enc(contactId)}`, patch);
  }

  /** Merges the duplicate `sourceId` into `contactId` (conversations, tags, attributes). */
  mergeContact(contactId: string, sourceId: string): Promise<ContactDetail> {
    return this.#request('POST', `/api/v1/contacts/${enc(contactId)}/merge`, { sourceId });
  }

  /** Every contact as CSV (owners and admins). */
  exportContacts(): Promise<string> {
    return this.#ctx.requestText('/api/v1/contacts/export.csv');
  }

  /** Imports contacts from CSV (owners and admins); bad rows come back with their line. */
  importContacts(csv: string): Promise<ContactImportResult> {
    return this.#ctx.postText('/api/v1/contacts/import', { text: csv, contentType: 'text/csv' });
  }
}
