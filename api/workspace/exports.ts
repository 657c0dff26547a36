import type { Request, Response, Router } from 'express';
import { localDate } from '../../workflows/calendar';
import { HEALTH_BANDS } from '../../workflows/health';
import type { ApiDeps } from '../deps';
import { csvOfTable } from '../services/csv-export';
import {
  EXPORT_FORMATS,
  exportTable,
  type ExportColumn,
  type ExportFormat,
  type ExportTable,
} from '../services/export-table';
import { programKpis, type KpiFigures } from '../services/kpis';
import { listMatches, type ZMatchSummary } from '../services/match-list';
import { programInScope } from '../services/scope';
import { xlsxOfTable } from '../services/xlsx-export';
import type { z } from 'zod';
import { label, LABEL_SETS } from './labels';
import { listQuery } from './matches';
import { WORKSPACE_MESSAGES } from './messages';
import { contextOf, renderNotice, signedIn, WORKSPACE_TIME_ZONE } from './render';

/** At most this many matches in one file (a program's whole history fits; the filters narrow it). */
export const MAX_EXPORT_ROWS = 10_000;

/** A rate as a fraction a spreadsheet formats (0.8333), or empty. */
const rate = (value: number | null) => (value === null ? null : Math.round(value * 10_000) / 10_000);
const today = () => localDate(Date.now(), WORKSPACE_TIME_ZONE);

const MEDIA_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** Sends a table as a download in `format`, named `<name>.<format>` (ASCII; the name people see is the link's). */
async function sendTable(res: Response, format: ExportFormat, name: string, table: ExportTable): Promise<void> {
  const body = format === 'csv' ? csvOfTable(table) : await xlsxOfTable(table);
  res
    .status(200)
    .type(MEDIA_TYPES[format])
    .set('Content-Disposition', `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, '_')}.${format}"`)
    .set('Cache-Control', 'no-store')
    .send(body);
}

type MatchRow = z.infer<typeof ZMatchSummary>;
type KpiRow = { breakdown: string; group: string; figures: KpiFigures };

/**
 * Downloads, each as CSV and as an Excel workbook (.xlsx) from one table: the match list with the filters the page
 * has, and a program's KPIs overall, by cohort and by region. Same scope as the pages: the matches of the programs the
 * person covers, a program only if they cover it. Column names in the person's language. How cells are written:
 * `api/services/csv-export.ts`, `api/services/xlsx-export.ts`.
 */
export function exportRoutes(router: Router, deps: ApiDeps): void {
  /** The match list with the page's filters: every page of it, at most MAX_EXPORT_ROWS. */
  async function matchesTable(req: Request, res: Response): Promise<ExportTable | null> {
    const { locale } = contextOf(res);
    const t = WORKSPACE_MESSAGES[locale];
    const e = t.exports;
    const { query, scope, valid } = listQuery(req, signedIn(res));
    if (!valid) return null;
    const columns: ExportColumn<MatchRow>[] = [
      { header: 'ID', kind: 'text', value: (m) => m.id },
      { header: t.program, kind: 'text', value: (m) => m.programId },
      { header: t.project, kind: 'text', value: (m) => m.title },
      { header: e.region, kind: 'text', value: (m) => m.region },
      { header: t.phase, kind: 'text', value: (m) => label(LABEL_SETS.phase, m.phase, locale) },
      { header: t.status, kind: 'text', value: (m) => label(LABEL_SETS.status, m.status, locale) },
      { header: t.health, kind: 'integer', value: (m) => m.health.score },
      { header: e.band, kind: 'text', value: (m) => label(LABEL_SETS.band, m.health.band, locale) },
      { header: t.host, kind: 'text', value: (m) => m.host.organization ?? m.host.name },
      { header: t.talent, kind: 'text', value: (m) => m.talent.name },
      { header: t.coordinator, kind: 'text', value: (m) => m.coordinator.name },
      { header: e.startDate, kind: 'date', value: (m) => m.startDate },
      { header: e.endDate, kind: 'date', value: (m) => m.endDate },
      { header: e.openEscalations, kind: 'integer', value: (m) => m.openEscalations },
      { header: e.checkinsCompleted, kind: 'integer', value: (m) => m.checkins.completed },
      { header: e.responseRate, kind: 'rate', value: (m) => rate(m.checkins.responseRate) },
      {
        header: e.kickoffHeld,
        kind: 'date',
        value: (m) => m.kickoff.heldAt && localDate(Date.parse(m.kickoff.heldAt), WORKSPACE_TIME_ZONE),
      },
    ];
    const matches: MatchRow[] = [];
    let cursor: string | undefined;
    do {
      const page = await listMatches(deps.db, scope, { ...query, limit: 200, ...(cursor ? { cursor } : {}) });
      matches.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && matches.length < MAX_EXPORT_ROWS);
    return exportTable(e.matchesSheet, columns, matches.slice(0, MAX_EXPORT_ROWS));
  }

  /** A program's KPIs: overall, then by cohort, then by region. */
  async function kpisTable(req: Request, res: Response): Promise<{ programId: string; table: ExportTable }> {
    const { locale } = contextOf(res);
    const t = WORKSPACE_MESSAGES[locale];
    const e = t.exports;
    const program = await programInScope(deps.db, signedIn(res), String(req.params.id), 'read');
    const kpis = await programKpis(deps.db, program.id, {});
    const figure = (
      header: string,
      kind: 'integer' | 'decimal' | 'rate',
      value: (f: KpiFigures) => number | null,
    ): ExportColumn<KpiRow> => ({ header, kind, value: (row) => value(row.figures) });
    const columns: ExportColumn<KpiRow>[] = [
      { header: e.breakdown, kind: 'text', value: (row) => row.breakdown },
      { header: e.group, kind: 'text', value: (row) => row.group },
      figure(t.kpi.started, 'integer', (f) => f.started),
      figure(t.kpi.active, 'integer', (f) => f.active),
      figure(e.completed, 'integer', (f) => f.completed),
      figure(e.terminatedEarly, 'integer', (f) => f.terminatedEarly),
      figure(e.cancelled, 'integer', (f) => f.cancelled),
      figure(t.kpi.completionRate, 'rate', (f) => rate(f.completionRate)),
      figure(t.kpi.earlyTerminationRate, 'rate', (f) => rate(f.earlyTerminationRate)),
      figure(t.kpi.checkinResponseRate, 'rate', (f) => rate(f.checkinResponseRate)),
      figure(t.kpi.medianDaysToKickoff, 'decimal', (f) => f.medianDaysToKickoff),
      figure(e.kickoffsHeld, 'integer', (f) => f.kickoffsHeld),
      figure(e.openEscalations, 'integer', (f) => f.openEscalations),
      figure(e.overdueEscalations, 'integer', (f) => f.overdueEscalations),
      figure(t.kpi.meanHealth, 'decimal', (f) => (f.meanHealth === null ? null : Math.round(f.meanHealth * 10) / 10)),
      // The running matches by health band, one column each (the program page's chart of them).
      ...HEALTH_BANDS.map((band) =>
        figure(`${e.runningIn}: ${label(LABEL_SETS.band, band, locale)}`, 'integer', (f) => f.healthBands[band]),
      ),
    ];
    const rows: KpiRow[] = [
      { breakdown: e.overall, group: program.name, figures: kpis },
      ...kpis.byCohort.map((c) => ({ breakdown: t.cohort, group: c.cohort, figures: c })),
      ...kpis.byRegion.map((r) => ({ breakdown: e.region, group: r.region ?? e.noRegion, figures: r })),
    ];
    return { programId: program.id, table: exportTable(e.kpisSheet, columns, rows) };
  }

  for (const format of EXPORT_FORMATS) {
    router.get(`/matches.${format}`, async (req, res) => {
      const table = await matchesTable(req, res);
      if (!table) {
        return renderNotice(res, 400, { title: (w) => w.formExpiredTitle, body: (w) => w.exports.badFilters });
      }
      await sendTable(res, format, `matches-${today()}`, table);
    });
    router.get(`/programs/:id/kpis.${format}`, async (req, res) => {
      const { programId, table } = await kpisTable(req, res);
      await sendTable(res, format, `kpis-${programId}-${today()}`, table);
    });
  }
}
