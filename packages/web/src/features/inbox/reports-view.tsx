import type { InboxReport } from '@kurier/protocol';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { navigate } from '../../lib/router';
import { saveFile } from '../../lib/save-file';
import { useStore } from '../../lib/use-chat';
import { BackButton } from '../../ui/back-button';
import { ErrorText } from '../../ui/error-text';

const DAY = 86_400_000;
const RANGES = [1, 7, 30, 90] as const;

function duration(ms: number | null, locale: string): string {
  if (ms === null) return '—';
  const minutes = ms / 60_000;
  const [value, unit] =
    minutes < 60 ? [minutes, 'minute'] : minutes < 2880 ? [minutes / 60, 'hour'] : [minutes / 1440, 'day'];
  return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 1 }).format(
    value,
  );
}

/** Reports for owners and admins: volume, first response, resolution, ratings; CSV download. */
export function ReportsView() {
  const { t, i18n } = useTranslation();
  const store = useStore();
  const [days, setDays] = useState<(typeof RANGES)[number]>(7);
  const [report, setReport] = useState<InboxReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  useEffect(() => {
    const to = Date.now();
    store.client.inbox.reports({ from: to - days * DAY, to, timeZone }).then(
      (r) => {
        setReport(r);
        setError(null);
      },
      (err: unknown) => setError((err as { code?: string }).code ?? 'NETWORK'),
    );
  }, [store, days, timeZone]);

  const download = async () => {
    if (!report) return;
    const q = new URLSearchParams({ from: String(report.from), to: String(report.to), timeZone, format: 'csv' });
    const csv = await store.client.requestText(`/api/v1/inbox/reports?${q}`);
    saveFile(`kurier-report-${days}d.csv`, csv, 'text/csv');
  };
  const peak = Math.max(1, ...(report?.volumeByHour ?? []));
  const locale = i18n.language;

  return (
    <section className="settings reports" aria-label={t('reports.title')}>
      <header className="conversation-header">
        <BackButton label={t('common.back')} onClick={() => navigate({ name: 'inbox', id: null })} />
        <h1>{t('reports.title')}</h1>
      </header>
      <div className="pad reports-controls">
        <label>
          {t('reports.range')}{' '}
          <select value={days} onChange={(e) => setDays(Number(e.target.value) as (typeof RANGES)[number])}>
            {RANGES.map((d) => (
              <option key={d} value={d}>
                {t('reports.days', { count: d })}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="secondary" onClick={() => void download().catch(() => {})} disabled={!report}>
          {t('reports.csv')}
        </button>
      </div>
      <ErrorText code={error} />
      {report ? (
        <div className="pad">
          <dl className="kpis">
            <div>
              <dt>{t('reports.conversations')}</dt>
              <dd data-testid="kpi-conversations">{report.totals.conversations}</dd>
            </div>
            <div>
              <dt>{t('reports.resolved')}</dt>
              <dd>{report.totals.resolved}</dd>
            </div>
            <div>
              <dt>{t('reports.firstResponse')}</dt>
              <dd data-testid="kpi-first-response">{duration(report.totals.firstResponseMs.median, locale)}</dd>
            </div>
            <div>
              <dt>{t('reports.resolution')}</dt>
              <dd>{duration(report.totals.resolutionMs.median, locale)}</dd>
            </div>
            <div>
              <dt>{t('reports.csat')}</dt>
              <dd>
                {report.totals.csat.average === null
                  ? '—'
                  : `${report.totals.csat.average.toLocaleString(locale, { maximumFractionDigits: 1 })} / 5`}
              </dd>
            </div>
          </dl>
          <h2>{t('reports.byHour')}</h2>
          <div className="hours" role="img" aria-label={t('reports.byHour')}>
            {report.volumeByHour.map((n, hour) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: 24 fixed hour buckets
              <div key={hour} className="hour" title={`${hour}:00 – ${n}`}>
                <span className="bar" data-level={Math.round((n / peak) * 10)} />
                <span className="muted">{hour % 3 === 0 ? hour : ''}</span>
              </div>
            ))}
          </div>
          <h2>{t('reports.perAgent')}</h2>
          <table className="report-table">
            <thead>
              <tr>
                <th>{t('reports.agent')}</th>
                <th>{t('reports.conversations')}</th>
                <th>{t('reports.resolved')}</th>
                <th>{t('reports.firstResponse')}</th>
                <th>{t('reports.csat')}</th>
              </tr>
            </thead>
            <tbody>
              {[
                ...report.perAgent.map((a) => ({ ...a, key: a.userId, name: a.displayName })),
                ...report.perTeam.map((g) => ({ ...g, key: g.teamId, name: `${t('inbox.team')}: ${g.name}` })),
              ].map((row) => (
                <tr key={row.key}>
                  <td>{row.name}</td>
                  <td>{row.conversations}</td>
                  <td>{row.resolved}</td>
                  <td>{duration(row.firstResponseMedianMs, locale)}</td>
                  <td>{row.csatAverage?.toLocaleString(locale, { maximumFractionDigits: 1 }) ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
