import type { DurationStats, InboxReport, ReportQuery } from '@kurier/protocol';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { AccountsService } from '../accounts/service.js';
import type { ContactsService } from '../contacts/service.js';
import type { DB } from '../db/schema.js';
import { type Actor, requireRole } from '../kernel/auth.js';
import { CSV_BOM, csvLine } from '../kernel/csv.js';
import type { InboxAccess } from './access.js';
import { type ReportRow, reportStore } from './report-store.js';

/** A validated report query (defaults filled in). */
export type ReportRange = z.output<typeof ReportQuery>;

interface Deps {
  db: Kysely<DB>;
  access: InboxAccess;
  accounts: AccountsService;
  contacts: ContactsService;
}

/** A conversation of a report with the team it counts for. */
type Row = ReportRow & { team: string | null };

// Name look-ups go out as `in (…)` lists; chunks stay far below every driver's parameter limit.
const CHUNK = 500;

const CSV_HEADER = [
  'conversationId',
  'inbox',
  'contactName',
  'contactEmail',
  'created',
  'assignee',
  'team',
  'status',
  'firstResponseSeconds',
  'resolutionSeconds',
  'csatScore',
];

/** Median (mean of the middle two for an even count, rounded) and nearest-rank 90th percentile. */
export function durationStats(values: readonly number[]): DurationStats {
  if (values.length === 0) return { median: null, p90: null, count: 0 };
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return { median: Math.round(median), p90: s[Math.ceil(0.9 * s.length) - 1] as number, count: s.length };
}

const average = (xs: readonly number[]) =>
  xs.length === 0 ? null : Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 100) / 100;
const firstResponse = (r: ReportRow) => (r.first_response_at === null ? null : r.first_response_at - r.created_at);
const resolution = (r: ReportRow) =>
  r.status === 'resolved' && r.resolved_at !== null ? r.resolved_at - r.created_at : null;
const present = <T>(xs: readonly (T | null)[]) => xs.filter((x): x is T => x !== null);
const seconds = (ms: number | null) => (ms === null ? null : Math.round(ms / 1000));

const hourFormats = new Map<string, Intl.DateTimeFormat>();

/** The hour of the day (0–23) of an instant in a time zone. */
function hourOf(at: number, timeZone: string): number {
  let f = hourFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', hourCycle: 'h23' });
    hourFormats.set(timeZone, f);
  }
  return Number(f.formatToParts(at).find((p) => p.type === 'hour')?.value ?? 0) % 24;
}

function groupBy(rows: readonly Row[], key: (r: Row) => string | null): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const r of rows) {
    const k = key(r);
    if (k !== null) out.set(k, [...(out.get(k) ?? []), r]);
  }
  return out;
}

function groupStats(rows: readonly Row[]) {
  return {
    conversations: rows.length,
    resolved: rows.filter((r) => r.status === 'resolved').length,
    firstResponseMedianMs: durationStats(present(rows.map(firstResponse))).median,
    csatAverage: average(present(rows.map((r) => r.csat_score))),
  };
}

/**
 * Inbox reports for owners and admins over the conversations created in a range: totals, response
 * and resolution times, ratings, volume by hour, and the same per agent and per team; or one CSV
 * row per conversation.
 */
export function inboxReports({ db, access, accounts, contacts }: Deps) {
  const store = reportStore(db);

  async function chunked<T>(ids: readonly string[], fetch: (part: string[]) => Promise<Iterable<T>>): Promise<T[]> {
    const unique = [...new Set(ids)];
    const out: T[] = [];
    for (let i = 0; i < unique.length; i += CHUNK) out.push(...(await fetch(unique.slice(i, i + CHUNK))));
    return out;
  }

  const staffNames = async (ids: readonly string[]) =>
    new Map((await chunked(ids, (part) => accounts.usersByIds(part))).map((u) => [u.id, u.display_name]));

  /** The rows in range, each with its team: the one it was transferred to, else its inbox's only team. */
  async function load(actor: Actor, q: ReportRange) {
    requireRole(actor, 'owner', 'admin');
    const inboxIds = await access.visibleInboxIds(actor);
    const [rows, teams, links] = await Promise.all([
      store.conversations({ from: q.from, to: q.to, inboxIds, inboxId: q.inboxId }),
      store.teams(),
      store.inboxTeams(),
    ]);
    const onlyTeam = new Map<string, string | null>();
    for (const l of links) onlyTeam.set(l.inbox_id, onlyTeam.has(l.inbox_id) ? null : l.team_id);
    const scoped: Row[] = rows
      .map((r) => ({ ...r, team: r.team_id ?? onlyTeam.get(r.inbox_id) ?? null }))
      .filter((r) => q.teamId === undefined || r.team === q.teamId);
    return { rows: scoped, teamNames: new Map(teams.map((t) => [t.id, t.name])) };
  }

  return {
    /** The report as JSON. Owners and admins only (FORBIDDEN otherwise). */
    async report(actor: Actor, q: ReportRange): Promise<InboxReport> {
      const { rows, teamNames } = await load(actor, q);
      const byAgent = groupBy(rows, (r) => r.assignee_id);
      const byTeam = groupBy(rows, (r) => r.team);
      const names = await staffNames([...byAgent.keys()]);
      const scores = present(rows.map((r) => r.csat_score));
      const distribution = { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 };
      for (const s of scores) {
        const key = String(s) as keyof typeof distribution;
        if (key in distribution) distribution[key]++;
      }
      const volumeByHour = Array.from({ length: 24 }, () => 0);
      for (const r of rows) {
        const hour = hourOf(r.created_at, q.timeZone);
        volumeByHour[hour] = (volumeByHour[hour] ?? 0) + 1;
      }
      return {
        from: q.from,
        to: q.to,
        timeZone: q.timeZone,
        totals: {
          conversations: rows.length,
          resolved: rows.filter((r) => r.status === 'resolved').length,
          firstResponseMs: durationStats(present(rows.map(firstResponse))),
          resolutionMs: durationStats(present(rows.map(resolution))),
          csat: { average: average(scores), count: scores.length, distribution },
        },
        volumeByHour,
        perAgent: [...byAgent]
          .map(([userId, group]) => ({ userId, displayName: names.get(userId) ?? userId, ...groupStats(group) }))
          .sort((a, b) => b.conversations - a.conversations || a.displayName.localeCompare(b.displayName)),
        perTeam: [...byTeam]
          .map(([teamId, group]) => ({ teamId, name: teamNames.get(teamId) ?? teamId, ...groupStats(group) }))
          .sort((a, b) => b.conversations - a.conversations || a.name.localeCompare(b.name)),
      };
    },

    /** One CSV row per conversation (UTF-8 with BOM, CRLF), oldest first. Owners and admins only. */
    async csv(actor: Actor, q: ReportRange): Promise<string> {
      const { rows, teamNames } = await load(actor, q);
      const [names, people] = await Promise.all([
        staffNames(present(rows.map((r) => r.assignee_id))),
        chunked(
          rows.map((r) => r.contact_id),
          async (part) => (await contacts.briefs(part)).values(),
        ).then((cs) => new Map(cs.map((c) => [c.id, c]))),
      ]);
      const lines = rows.map((r) => {
        const contact = people.get(r.contact_id);
        return [
          r.conversation_id,
          r.inbox_name,
          contact?.name,
          contact?.email,
          new Date(r.created_at).toISOString(),
          r.assignee_id === null ? null : (names.get(r.assignee_id) ?? r.assignee_id),
          r.team === null ? null : (teamNames.get(r.team) ?? r.team),
          r.status,
          seconds(firstResponse(r)),
          seconds(resolution(r)),
          r.csat_score,
        ];
      });
      return CSV_BOM + [CSV_HEADER, ...lines].map(csvLine).join('');
    },
  };
}

/** The inbox reports contract. */
export type InboxReports = ReturnType<typeof inboxReports>;
