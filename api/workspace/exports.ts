import type { Request, Response, Router } from 'express';
import type { ApiDeps } from '../deps';
import { sendCsv, type CsvCell } from '../services/csv-export';
import { programKpis, type KpiFigures } from '../services/kpis';
import { listMatches } from '../services/match-list';
import { programInScope } from '../services/scope';
import { label, LABEL_SETS } from './labels';
import { listQuery } from './matches';
import { WORKSPACE_MESSAGES } from './messages';
import { contextOf, renderNotice, signedIn } from './render';

/** At most this many matches in one file (a program's whole history fits; the filters narrow it). */
export const MAX_EXPORT_ROWS = 10_000;

/** A rate as a number a spreadsheet formats (0.8333), or empty. */
const rate = (value: number | null) => (value === null ? null : Math.round(value * 10_000) / 10_000);
const today = () => new Date().toISOString().slice(0, 10);

/**
 * CSV downloads (see `api/services/csv-export.ts` for how cells are written): the match list with the filters the
 * page has, and a program's KPIs overall, by cohort and by region. Same scope as the pages: the matches of the
 * programs the person covers, a program only if they cover it. Column names in the person's language.
 */
export function exportRoutes(router: Router, deps: ApiDeps): void {
  router.get('/matches.csv', async (req: Request, res: Response) => {
    const { locale } = contextOf(res);
    const t = WORKSPACE_MESSAGES[locale];
    const { query, scope, valid } = listQuery(req, signedIn(res));
    if (!valid) return renderNotice(res, 400, { title: (w) => w.formExpiredTitle, body: (w) => w.exports.badFilters });
    const rows: CsvCell[][] = [
      [
        'ID',
        t.program,
        t.project,
        t.exports.region,
        t.phase,
        t.status,
        t.health,
        t.exports.band,
        t.host,
        t.talent,
        t.coordinator,
        t.exports.startDate,
        t.exports.endDate,
        t.exports.openEscalations,
        t.exports.checkinsCompleted,
        t.exports.responseRate,
        t.exports.kickoffHeld,
      ],
    ];
    let cursor: string | undefined;
    do {
      const page = await listMatches(deps.db, scope, { ...query, limit: 200, ...(cursor ? { cursor } : {}) });
      for (const m of page.items) {
        rows.push([
          m.id,
          m.programId,
          m.title,
          m.region,
          label(LABEL_SETS.phase, m.phase, locale),
          label(LABEL_SETS.status, m.status, locale),
          m.health.score,
          label(LABEL_SETS.band, m.health.band, locale),
          m.host.organization ?? m.host.name,
          m.talent.name,
          m.coordinator.name,
          m.startDate,
          m.endDate,
          m.openEscalations,
          m.checkins.completed,
          rate(m.checkins.responseRate),
          m.kickoff.heldAt?.slice(0, 10),
        ]);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor && rows.length <= MAX_EXPORT_ROWS);
    sendCsv(res, `matches-${today()}.csv`, rows.slice(0, MAX_EXPORT_ROWS + 1));
  });

  router.get('/programs/:id/kpis.csv', async (req, res) => {
    const { locale } = contextOf(res);
    const e = WORKSPACE_MESSAGES[locale].exports;
    const t = WORKSPACE_MESSAGES[locale];
    const program = await programInScope(deps.db, signedIn(res), String(req.params.id), 'read');
    const kpis = await programKpis(deps.db, program.id, {});
    const figures = (f: KpiFigures): CsvCell[] => [
      f.started,
      f.active,
      f.completed,
      f.terminatedEarly,
      f.cancelled,
      rate(f.completionRate),
      rate(f.earlyTerminationRate),
      rate(f.checkinResponseRate),
      f.medianDaysToKickoff,
      f.openEscalations,
      f.overdueEscalations,
      f.meanHealth === null ? null : Math.round(f.meanHealth * 10) / 10,
    ];
    sendCsv(res, `kpis-${program.id}-${today()}.csv`, [
      [
        e.breakdown,
        e.group,
        t.kpi.started,
        t.kpi.active,
        e.completed,
        e.terminatedEarly,
        e.cancelled,
        t.kpi.completionRate,
        t.kpi.earlyTerminationRate,
        t.kpi.checkinResponseRate,
        t.kpi.medianDaysToKickoff,
        e.openEscalations,
        e.overdueEscalations,
        t.kpi.meanHealth,
      ],
      [e.overall, program.name, ...figures(kpis)],
      ...kpis.byCohort.map((c) => [t.cohort, c.cohort, ...figures(c)]),
      ...kpis.byRegion.map((r) => [e.region, r.region ?? e.noRegion, ...figures(r)]),
    ]);
  });
}
