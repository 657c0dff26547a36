import type { Locale, Participant } from '../workflows/shared';
import { startOfDate } from '../workflows/calendar';
import type { LocalizedText } from '../workflows/locale';
import type { RiskState } from '../workflows/risk-model';
import { CAUSE_LABELS } from '../workflows/risk-reasons';
import type { ActivityDeps } from './deps';

export type DigestItem = {
  matchId: string;
  matchTitle: string;
  /** `watch`: the risk model watches a cause on the match (no escalation, so no email of its own). */
  kind: 'task' | 'escalation' | 'kickoff' | 'checkin' | 'watch';
  /** Already in the coordinator's language. */
  label: string;
  dueAt?: string;
  overdue: boolean;
};

export type CoordinatorDigest = {
  coordinator: Participant;
  programName: string;
  items: DigestItem[];
};

const WEEK_MS = 7 * 86_400_000;

const ESCALATION_TITLES: Record<string, Record<Locale, string>> = {
  missed_checkin: { ja: 'エスカレーション: 未回答のチェックイン', en: 'Escalation: missed check-in' },
  priority_gap: { ja: 'エスカレーション: 優先度の認識のずれ', en: 'Escalation: priority gap' },
  expectation_gap: { ja: 'エスカレーション: 期待する成果・範囲の認識のずれ', en: 'Escalation: expectation gap' },
  low_score: { ja: 'エスカレーション: 低いスコア', en: 'Escalation: low scores' },
  falling_score: { ja: 'エスカレーション: スコアの低下', en: 'Escalation: falling scores' },
  wants_coordinator: {
    ja: 'エスカレーション: コーディネーターへの相談希望',
    en: 'Escalation: wants to talk to the coordinator',
  },
  contract_overdue: { ja: 'エスカレーション: 契約書類の期限超過', en: 'Escalation: contract documents overdue' },
  kickoff_not_held: { ja: 'エスカレーション: キックオフ未実施', en: 'Escalation: kickoff not held' },
};

/** An escalation's title in the digest: the round-by-round rules' types, or the risk model's causes. */
function escalationTitle(type: string, locale: Locale): string {
  const label: LocalizedText | undefined = CAUSE_LABELS[type as keyof typeof CAUSE_LABELS];
  const titled = label && { ja: `エスカレーション: ${label.ja}`, en: `Escalation: ${label.en}` };
  return (ESCALATION_TITLES[type] ?? titled)?.[locale] ?? type;
}

export function createDigestActivities({ db }: ActivityDeps) {
  return {
    /**
     * What needs each coordinator in the week starting `weekOf` (a Monday, in `timeZone`), across all their open
     * matches, read from the read model: open and overdue tasks, escalations waiting on them, kickoffs and check-ins.
     */
    async planCoordinatorDigests({
      weekOf,
      timeZone,
    }: {
      weekOf: string;
      timeZone: string;
    }): Promise<CoordinatorDigest[]> {
      const weekStart = startOfDate(weekOf, timeZone);
      const weekEnd = new Date(weekStart + WEEK_MS);
      const now = new Date();
      const matches = await db.match.findMany({
        where: { status: { in: ['open', 'paused'] } },
        select: {
          id: true,
          title: true,
          kickoffStatus: true,
          kickoffAt: true,
          risk: true,
          program: { select: { name: true } },
          coordinator: { select: { id: true, name: true, email: true, locale: true } },
          tasks: {
            where: { OR: [{ status: 'open' }, { status: 'scheduled', openAt: { lt: weekEnd } }] },
            select: { label: true, dueAt: true },
            orderBy: { dueAt: 'asc' },
          },
          escalations: {
            where: { status: { in: ['open', 'acknowledged'] } },
            select: { type: true, dueAt: true, status: true },
          },
          checkinRounds: {
            where: { status: 'open', closeAt: { lt: weekEnd } },
            select: { round: true, closeAt: true, answered: true },
          },
        },
        orderBy: { id: 'asc' },
      });

      // One digest per coordinator address: each program keeps its own record of a coordinator working for several.
      const byCoordinator = new Map<string, CoordinatorDigest>();
      for (const m of matches) {
        let digest = byCoordinator.get(m.coordinator.email);
        if (!digest) {
          const locale: Locale = m.coordinator.locale === 'en' ? 'en' : 'ja';
          digest = {
            coordinator: { personId: m.coordinator.id, name: m.coordinator.name, email: m.coordinator.email, locale },
            programName: m.program.name,
            items: [],
          };
          byCoordinator.set(m.coordinator.email, digest);
        }
        // One language for the whole digest: the one of the first match's record of the coordinator.
        const locale = digest.coordinator.locale;
        // A coordinator working across programs gets a digest named after none of them.
        if (digest.programName !== m.program.name) digest.programName = 'bansou';
        const item = (kind: DigestItem['kind'], label: string, dueAt: Date | null) =>
          digest!.items.push({
            matchId: m.id,
            matchTitle: m.title,
            kind,
            label,
            ...(dueAt ? { dueAt: dueAt.toISOString() } : {}),
            overdue: Boolean(dueAt && dueAt < now),
          });
        for (const t of m.tasks) item('task', (t.label as Record<Locale, string>)[locale], t.dueAt);
        for (const e of m.escalations)
          item('escalation', escalationTitle(e.type, locale), e.status === 'open' ? e.dueAt : null);
        for (const c of (m.risk as RiskState | null)?.causes ?? []) {
          if (c.level === 'watch') item('watch', `${CAUSE_LABELS[c.cause][locale]}: ${c.reason[locale]}`, null);
        }
        if (
          m.kickoffStatus === 'scheduled' &&
          m.kickoffAt &&
          m.kickoffAt.getTime() < weekEnd.getTime() &&
          m.kickoffAt >= now
        ) {
          item('kickoff', locale === 'ja' ? 'キックオフミーティング' : 'Kickoff meeting', m.kickoffAt);
        }
        for (const r of m.checkinRounds) {
          const missing = ['host', 'talent'].filter((side) => !(r.answered as string[]).includes(side));
          const label =
            locale === 'ja'
              ? `チェックイン第${r.round}回の締め切り${missing.length ? `（未回答: ${missing.map((s) => (s === 'host' ? '受入事業者' : '兼業人材')).join('・')}）` : ''}`
              : `Check-in ${r.round} closes${missing.length ? ` (not answered yet: ${missing.join(', ')})` : ''}`;
          item('checkin', label, r.closeAt);
        }
      }
      return [...byCoordinator.values()];
    },
  };
}
