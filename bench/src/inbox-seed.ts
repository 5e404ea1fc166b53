// Provisioning for `npm run bench:inbox`. It runs in the bench process on a server built in-process,
// which is closed before the measured server process starts on the same data: staff, teams and
// inboxes through the real admin API, visitors through the public widget API, and the 50,000
// customer conversations of the view scenario as bulk SQL (seeding speed is not measured).
import { randomBytes } from 'node:crypto';
import { buildApp, type KurierApp, loadConfig } from '@kurier/server';

/** A staff member and a session token of theirs. */
export interface Staff {
  id: string;
  token: string;
}

/** What `provisionStaff` created. */
export interface InboxWorld {
  owner: Staff;
  admin: Staff;
  agents: Staff[];
  /** Member indexes into `agents` per team, as requested. */
  teams: { id: string; members: number[] }[];
  inboxes: { id: string; widgetKey: string; teams: number[] }[];
}

/** The layout to create: teams as lists of agent indexes, inboxes as lists of team indexes. */
export interface StaffLayout {
  agents: number;
  teams: number[][];
  inboxes: { teams: number[]; settings: Record<string, unknown> }[];
  /** Written to the agents table directly: the admin API caps capacity at 100. */
  capacity: number;
}

const PASSWORD = 'bench password 123';

/** A server on `dataDir` in this process; the widget's per-address visitor limit is lifted. */
export function openSeeder(dataDir: string): Promise<KurierApp> {
  const config = loadConfig({ KURIER_DATA_DIR: dataDir });
  return buildApp({ ...config, logLevel: 'silent', widgetVisitorsPerMinute: 1_000_000 });
}

/** A POST through the server's routes (no socket), as `token`'s user or anonymously. */
async function post<T>(kurier: KurierApp, req: { url: string; body: object; token?: string }): Promise<T> {
  const headers = req.token ? { authorization: `Bearer ${req.token}` } : {};
  const res = await kurier.app.inject({ method: 'POST', url: req.url, headers, payload: req.body });
  if (res.statusCode >= 300) throw new Error(`POST ${req.url}: ${res.statusCode} ${res.body}`);
  return res.json() as T;
}

/** Owner, admin, agents (scrypt runs on the thread pool, so in parallel), teams and inboxes. */
export async function provisionStaff(kurier: KurierApp, layout: StaffLayout): Promise<InboxWorld> {
  const { accounts } = kurier;
  const session = async (id: string) => ({ id, token: (await accounts.issueSession(id, 'bench')).token });
  const staff = async (username: string, role: 'admin' | 'agent') =>
    session((await accounts.createUser({ username, displayName: username, password: PASSWORD, role })).id);
  const owner = await session(
    (await accounts.createOwner({ username: 'owner', displayName: 'Owner', password: PASSWORD })).id,
  );
  const admin = await staff('admin', 'admin');
  const agents = await Promise.all(Array.from({ length: layout.agents }, (_, i) => staff(`agent${i}`, 'agent')));
  const teams: InboxWorld['teams'] = [];
  for (const [i, members] of layout.teams.entries()) {
    const body = { name: `Team ${i}`, memberIds: members.map((m) => (agents[m] as Staff).id) };
    const { team } = await post<{ team: { id: string } }>(kurier, { url: '/api/v1/teams', body, token: owner.token });
    teams.push({ id: team.id, members });
  }
  const inboxes: InboxWorld['inboxes'] = [];
  for (const [i, spec] of layout.inboxes.entries()) {
    const teamIds = spec.teams.map((t) => (teams[t] as { id: string }).id);
    const body = { name: `Inbox ${i}`, teamIds, settings: spec.settings };
    const { inbox } = await post<{ inbox: InboxWorld['inboxes'][number] }>(kurier, {
      url: '/api/v1/inboxes',
      body,
      token: owner.token,
    });
    inboxes.push({ id: inbox.id, widgetKey: inbox.widgetKey, teams: spec.teams });
  }
  await kurier.database.db
    .insertInto('agents')
    .values(agents.map((a) => ({ user_id: a.id, capacity: layout.capacity, last_assigned_at: null })))
    .execute();
  return { owner, admin, agents, teams, inboxes };
}

/** Widget visitors of an inbox through the public pre-chat form (the calls the widget makes). */
export async function createVisitors(kurier: KurierApp, widgetKey: string, count: number) {
  const out: { token: string; contactId: string }[] = [];
  for (let i = 0; i < count; i += 25) {
    const batch = Array.from({ length: Math.min(25, count - i) }, (_, k) => {
      const body = { name: `Kunde ${i + k}`, email: `kunde${i + k}@example.com`, consent: true, locale: 'de' };
      return post<{ token: string; contactId: string }>(kurier, { url: `/api/v1/widget/${widgetKey}/visitors`, body });
    });
    for (const v of await Promise.all(batch)) out.push({ token: v.token, contactId: v.contactId });
  }
  return out;
}

/** Status mix of the view scenario: 60 % resolved, 20 % open, 10 % pending, 10 % snoozed. */
const STATUSES: [string, number][] = [
  ['resolved', 0.6],
  ['open', 0.8],
  ['pending', 0.9],
  ['snoozed', 1],
];
/** Labels of the 10 % labelled conversations; one or two each. */
export const LABELS = ['billing', 'bug', 'vip', 'feedback', 'refund'];

/** A time-ordered id like the server's (`prefix_` + base-36 time + random). */
const idAt = (prefix: string, at: number) =>
  `${prefix}_${at.toString(36).padStart(9, '0')}${randomBytes(9).toString('base64url')}`;

/** A small deterministic PRNG (mulberry32), so every run seeds the same mix. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` customer conversations spread evenly over the world's inboxes and the last 90 days,
 * each with its contact (user, contact and consent rows), members, 1–4 messages (full-text
 * indexed), inbox state and labels, in transactions of 5,000 conversations. Open conversations
 * are 20 % unassigned; everything else belongs to an agent of a team serving its inbox; 5 % were
 * transferred to that team.
 */
export async function seedConversations(
  kurier: KurierApp,
  world: InboxWorld,
  count: number,
): Promise<{ messages: number }> {
  const sqlite = kurier.database.sqlite;
  if (!sqlite) throw new Error('the bulk seed needs SQLite');
  const rnd = random(5);
  const pick = <T>(items: readonly T[]) => items[Math.floor(rnd() * items.length)] as T;
  // One statement per table, from the first row's columns; columns left out stay null.
  const statements = new Map<string, { run: (row: object) => unknown }>();
  const put = (table: string, row: Record<string, string | number | null>) => {
    let stmt = statements.get(table);
    if (!stmt) {
      const cols = Object.keys(row);
      stmt = sqlite.prepare(`insert into ${table} (${cols}) values (${cols.map((c) => `@${c}`)})`);
      statements.set(table, stmt);
    }
    stmt.run(row);
  };
  const counter = sqlite.prepare<[], { value: number }>("select value from counters where name = 'change'");
  let change = counter.get()?.value ?? 0;
  let messages = 0;
  const now = Date.now();
  const span = 90 * 86_400_000;

  const one = (i: number) => {
    const created = now - span + Math.floor((i / count) * span);
    const inbox = world.inboxes[i % world.inboxes.length] as InboxWorld['inboxes'][number];
    const team = world.teams[pick(inbox.teams)] as InboxWorld['teams'][number];
    const u = rnd();
    const status = (STATUSES.find(([, upTo]) => u < upTo) as [string, number])[0];
    const agent = status === 'open' && rnd() < 0.2 ? null : (world.agents[pick(team.members)] as Staff);
    const contactId = idAt('k', created);
    const name = `Kunde ${i}`;
    const role = 'contact';
    put('users', {
      id: contactId,
      username: `contact:${contactId}`,
      display_name: name,
      role,
      password_hash: '!',
      created_at: created,
    });
    put('contacts', {
      id: contactId,
      name,
      email: `kunde${i}@example.com`,
      attributes: '{}',
      created_at: created,
      updated_at: created,
    });
    const consent = { contact_id: contactId, purpose: 'chat', text: 'Einverstanden.', source: `widget:${inbox.id}` };
    put('consents', { id: idAt('cs', created), ...consent, created_at: created });
    const conversationId = idAt('c', created);
    const texts: [string, string | null, object | null][] = [
      [contactId, `Hallo, ich habe eine Frage zu Auftrag ${i}.`, null],
    ];
    if (agent) {
      texts.push([agent.id, null, { event: 'assigned', userId: agent.id, displayName: 'Agent' }]);
      texts.push([agent.id, 'Guten Tag! Ich schaue es mir an.', null]);
    }
    if (status !== 'open') texts.push([agent?.id ?? contactId, null, { event: 'status_changed', status }]);
    const seq = texts.length;
    const last = created + seq * 60_000;
    put('conversations', {
      id: conversationId,
      kind: 'customer',
      created_by: contactId,
      created_at: created,
      last_seq: seq,
      last_message_at: last,
      change_id: ++change,
    });
    for (const [k, [sender, text, system]] of texts.entries()) {
      const at = created + k * 60_000;
      put('messages', {
        id: idAt('m', at),
        conversation_id: conversationId,
        seq: k + 1,
        sender_id: sender,
        client_msg_id: k === 0 ? `start-${i}` : null,
        type: system ? 'system' : 'text',
        text,
        system: system ? JSON.stringify(system) : null,
        created_at: at,
        change_id: ++change,
      });
      messages++;
    }
    const member = { conversation_id: conversationId, role: 'member', delivered_seq: seq, read_seq: seq };
    put('members', { ...member, user_id: contactId, joined_at: created, change_id: ++change });
    if (agent) put('members', { ...member, user_id: agent.id, joined_at: created + 60_000, change_id: ++change });
    put('inbox_state', {
      conversation_id: conversationId,
      inbox_id: inbox.id,
      contact_id: contactId,
      status,
      assignee_id: agent?.id ?? null,
      // One in twenty was handed to a team's queue.
      team_id: rnd() < 0.05 ? team.id : null,
      snoozed_until: status === 'snoozed' ? now + Math.floor((1 + rnd() * 6) * 86_400_000) : null,
      waiting_since: status === 'open' && !agent ? created : null,
      first_response_at: agent ? created + 120_000 : null,
      resolved_at: status === 'resolved' ? last : null,
      created_at: created,
      last_activity_at: last,
      change_id: ++change,
    });
    if (rnd() < 0.1) {
      const [first, second] = [pick(LABELS), pick(LABELS)];
      put('inbox_labels', { conversation_id: conversationId, label: first });
      if (rnd() < 0.5 && second !== first) put('inbox_labels', { conversation_id: conversationId, label: second });
    }
  };

  const chunk = sqlite.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) one(i);
  });
  for (let i = 0; i < count; i += 5_000) chunk(i, Math.min(count, i + 5_000));
  sqlite.prepare("update counters set value = ? where name = 'change'").run(change);
  // The server indexes new text in the background; a database of this age has it indexed, and a
  // search waits until it is.
  await kurier.messages.search({ query: 'seed', conversationIds: [], limit: 1 });
  return { messages };
}
