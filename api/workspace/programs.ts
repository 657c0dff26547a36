import type { Router } from 'express';
import { may, programScope } from '../auth';
import type { ApiDeps } from '../deps';
import { programKpis, type Kpis } from '../services/kpis';
import { programTrends, type ProgramTrends } from '../services/program-trends';
import { programInScope } from '../services/scope';
import type { Locale } from '../../workflows/shared';
import { HEALTH_BANDS, type HealthBand } from '../../workflows/health';
import { barChart, lineChart, stackedBarChart, type Part } from './charts';
import { BANDS, label } from './labels';
import { WORKSPACE_MESSAGES, type WorkspaceMessages } from './messages';
import { contextOf, formattersFor, renderView, signedIn } from './render';

/** How each health band is drawn in a stacked bar (its colour and pattern). */
const BAND_PARTS: Record<HealthBand, Part['style']> = { green: 'good', amber: 'watch', red: 'bad', too_early: 'none' };

/** A month on a chart's axis: `2026-11` as `26/11` (the table beside it has the full month). */
const axisMonth = (month: string) => month.slice(2).replace('-', '/');

/** The program page's charts, each drawn on the server as SVG with the same figures in a table beside it. */
function programCharts(kpis: Kpis, trends: ProgramTrends, locale: Locale) {
  const t: WorkspaceMessages = WORKSPACE_MESSAGES[locale];
  const fmt = formattersFor(locale);
  const labels = trends.months.map(axisMonth);
  const cohorts = kpis.byCohort.map((c) => axisMonth(c.cohort));
  const percent = (v: number) => `${Math.round(v * 100)}%`;
  return {
    health: lineChart({
      labels,
      min: 0,
      max: 100,
      ticks: [0, 25, 50, 75, 100],
      series: [{ name: t.trends.meanScore, values: trends.health.map((h) => h.meanScore), style: 'a' }],
    }),
    answers: barChart({
      labels,
      max: 1,
      format: percent,
      series: [
        { name: t.trends.hostRate, values: trends.answers.map((a) => a.hostRate), style: 'a' },
        { name: t.trends.talentRate, values: trends.answers.map((a) => a.talentRate), style: 'b' },
      ],
    }),
    escalations: barChart({
      labels,
      whole: true,
      format: (v) => fmt.number(v),
      series: [
        { name: t.trends.opened, values: trends.escalations.map((e) => e.opened), style: 'a' },
        { name: t.trends.resolved, values: trends.escalations.map((e) => e.resolved), style: 'b' },
      ],
    }),
    cohorts: barChart({
      labels: cohorts,
      max: 1,
      format: percent,
      series: [
        { name: t.kpi.completionRate, values: kpis.byCohort.map((c) => c.completionRate), style: 'a' },
        { name: t.kpi.earlyTerminationRate, values: kpis.byCohort.map((c) => c.earlyTerminationRate), style: 'b' },
      ],
    }),
    kickoff: barChart({
      labels: cohorts,
      format: (v) => fmt.number(v),
      series: [{ name: t.trends.medianDays, values: kpis.byCohort.map((c) => c.medianDaysToKickoff), style: 'a' }],
    }),
    bands: stackedBarChart({
      id: 'bands',
      labels: cohorts,
      parts: HEALTH_BANDS.map((b) => ({
        name: label(BANDS, b, locale),
        values: kpis.byCohort.map((c) => c.healthBands[b]),
        style: BAND_PARTS[b],
      })),
    }),
  };
}

/** The programs a person covers, each with its KPIs (the same figures as GET /programs/:id/kpis) and trends. */
export function programRoutes(router: Router, deps: ApiDeps): void {
  router.get('/programs', async (_req, res) => {
    const scope = programScope(signedIn(res));
    const programs = await deps.db.program.findMany({
      where: scope ? { id: { in: scope } } : {},
      orderBy: { id: 'asc' },
      select: { id: true, name: true, region: true },
    });
    renderView(res, 200, 'programs', { nav: 'programs', programs, canImport: may(signedIn(res), 'register') });
  });

  router.get('/programs/:id', async (req, res) => {
    const program = await programInScope(deps.db, signedIn(res), String(req.params.id), 'read');
    const [kpis, trends] = await Promise.all([
      programKpis(deps.db, program.id, {}),
      programTrends(deps.db, program.id),
    ]);
    const { locale } = contextOf(res);
    renderView(res, 200, 'program', {
      nav: 'programs',
      wide: true,
      program,
      canImport: may(signedIn(res), 'register', program.id),
      kpis,
      trends,
      charts: programCharts(kpis, trends, locale),
      bands: HEALTH_BANDS,
    });
  });
}
