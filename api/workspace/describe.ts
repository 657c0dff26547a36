import type { Locale } from '../../workflows/shared';
import {
  CONTRACT_STATUS_LABELS,
  ESCALATION_TYPES,
  KICKOFF_STATUSES,
  label,
  PHASES,
  QUESTION_SHORT,
  RESPONDENTS,
  STATUSES,
  TERMINATION_REASON_LABELS,
} from './labels';
import { formattersFor } from './render';

type Evidence = Record<string, unknown>;

const side = (value: unknown, locale: Locale) => label(RESPONDENTS, String(value), locale);
const question = (value: unknown, locale: Locale) =>
  QUESTION_SHORT[String(value) as keyof typeof QUESTION_SHORT]?.[locale] ?? String(value);
const list = (items: string[], locale: Locale) => items.join(locale === 'ja' ? '、' : ', ');

/**
 * What a card says of an escalation: the risk model's reason in words when it gave one (`{ ja, en }`, with its
 * numbers), else the round-by-round rules' evidence described.
 */
export function escalationLines(e: { evidence?: unknown; reason?: unknown }, locale: Locale): string[] {
  const reason = e.reason as Partial<Record<Locale, unknown>> | null | undefined;
  const words = reason?.[locale] ?? reason?.ja;
  return typeof words === 'string' && words ? [words] : describeEvidence(e.evidence, locale);
}

/**
 * An escalation's evidence in words: which round, who, which question, the scores. Known shapes are put into
 * sentences; anything else the risk policy adds later shows as its name and value, never hidden.
 */
export function describeEvidence(evidence: unknown, locale: Locale): string[] {
  if (!evidence || typeof evidence !== 'object') return [];
  const e = evidence as Evidence;
  const ja = locale === 'ja';
  const lines: string[] = [];
  const done = new Set<string>();
  const take = (...keys: string[]) => keys.forEach((k) => done.add(k));

  if (typeof e.round === 'number') {
    lines.push(ja ? `第${e.round}回のチェックイン` : `Check-in ${e.round}`);
    take('round');
  }
  if (typeof e.question === 'string' && typeof e.host === 'number' && typeof e.talent === 'number') {
    const gap = typeof e.gap === 'number' ? e.gap : Math.abs(e.host - e.talent);
    lines.push(
      ja
        ? `${question(e.question, locale)}: 受入事業者 ${e.host}、兼業人材 ${e.talent}（差 ${gap}）`
        : `${question(e.question, locale)}: host ${e.host}, talent ${e.talent} (${gap} apart)`,
    );
    take('question', 'host', 'talent', 'gap');
  }
  if (Array.isArray(e.sides)) {
    const who = list(
      e.sides.map((s) => side(s, locale)),
      locale,
    );
    const inARow = (e.inARow ?? {}) as Record<string, number>;
    const streak = Object.entries(inARow)
      .filter(([, n]) => n > 1)
      .map(([s, n]) => (ja ? `${side(s, locale)} ${n}回連続` : `${side(s, locale)} ${n} in a row`));
    lines.push(streak.length ? `${who}（${list(streak, locale)}）` : who);
    take('sides', 'inARow');
  }
  if (Array.isArray(e.scores)) {
    for (const s of e.scores as Evidence[]) {
      const what = `${side(s.side, locale)} ${question(s.question, locale)}`;
      lines.push(typeof s.from === 'number' ? `${what}: ${s.from} → ${s.to}` : `${what}: ${String(s.score)}`);
    }
    take('scores');
  }
  if (Array.isArray(e.documents)) {
    for (const d of e.documents as Evidence[]) {
      lines.push(`${String(d.type)}: ${label(CONTRACT_STATUS_LABELS, String(d.status), locale)}`);
    }
    take('documents');
  }
  if (typeof e.deadline === 'string') {
    const when = formattersFor(locale).dateTime(e.deadline);
    lines.push(ja ? `期限: ${when}` : `Deadline: ${when}`);
    take('deadline');
  }
  if (typeof e.kickoffStatus === 'string') {
    lines.push(label(KICKOFF_STATUSES, e.kickoffStatus, locale));
    take('kickoffStatus');
  }
  for (const [key, value] of Object.entries(e)) {
    if (!done.has(key)) lines.push(`${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return lines;
}

const INSTANT_KEYS = new Set(['startsAt', 'until', 'dueAt', 'closeAt', 'at', 'deadline']);
const HIDDEN_KEYS = new Set([
  'escalationId',
  'taskId',
  'answerId',
  'messageId',
  'sequence',
  'proposal',
  'run',
  'rounds',
  'title',
  'playbookVersion',
]);

/** A timeline entry's details in words: who, what changed, when; ids and counters left out. */
export function describeEvent(type: string, payload: Record<string, unknown>, locale: Locale): string {
  const fmt = formattersFor(locale);
  const parts: string[] = [];
  for (const [key, value] of Object.entries(payload)) {
    if (value === null || value === undefined || value === '' || HIDDEN_KEYS.has(key)) continue;
    if (key === 'by' && typeof value === 'object') {
      parts.push(`${locale === 'ja' ? '操作' : 'by'}: ${String((value as { name?: unknown }).name ?? '')}`);
    } else if (key === 'respondent' || key === 'role' || key === 'respondents' || key === 'sides') {
      const list = Array.isArray(value) ? value : [value];
      parts.push(list.map((v) => side(v, locale)).join(locale === 'ja' ? '、' : ', '));
    } else if (key === 'type' && type.startsWith('escalation.')) {
      parts.push(label(ESCALATION_TYPES, String(value), locale));
    } else if ((key === 'from' || key === 'to') && type === 'match.phase') {
      parts.push(`${key === 'from' ? '' : '→ '}${label(PHASES, String(value), locale)}`);
    } else if (key === 'status' && type === 'match.closed') {
      parts.push(label(STATUSES, String(value), locale));
    } else if (key === 'reason' && type === 'match.closed') {
      parts.push(label(TERMINATION_REASON_LABELS, String(value), locale));
    } else if (key === 'slots' && Array.isArray(value)) {
      parts.push(value.map((s) => fmt.dateTime(String((s as { startsAt?: unknown }).startsAt))).join(' / '));
    } else if (key === 'choice') {
      parts.push(
        value === 'other' ? (locale === 'ja' ? '別の候補を希望' : 'asked for other times') : `#${Number(value) + 1}`,
      );
    } else if (INSTANT_KEYS.has(key) && typeof value === 'string') {
      parts.push(fmt.dateTime(value));
    } else if (key === 'durationMinutes') {
      parts.push(locale === 'ja' ? `${String(value)}分` : `${String(value)} min`);
    } else if ((key === 'startDate' || key === 'endDate') && typeof value === 'string') {
      parts.push(`${key === 'endDate' ? '– ' : ''}${fmt.date(value)}`);
    } else if (key === 'template' && payload.subject) {
      continue;
    } else if (key === 'sentiment') {
      parts.push(`${locale === 'ja' ? '所感' : 'sentiment'} ${String(value)}/5`);
    } else if (typeof value === 'object') {
      continue;
    } else {
      parts.push(String(value));
    }
  }
  return parts.join(' · ');
}

/** The read model's "next step" (`check-in 3 opens`, `task midpoint_review due`…) in words. */
export function describeNextStep(what: string, locale: Locale): string {
  const ja = locale === 'ja';
  const rules: [RegExp, (m: RegExpExecArray) => string][] = [
    [/^kickoff$/, () => (ja ? 'キックオフ' : 'Kickoff')],
    [/^kickoff deadline$/, () => (ja ? 'キックオフの実施期限' : 'Kickoff deadline')],
    [/^check-in (\d+) closes$/, (m) => (ja ? `第${m[1]}回チェックインの締切` : `Check-in ${m[1]} closes`)],
    [/^check-in (\d+) opens$/, (m) => (ja ? `第${m[1]}回チェックインの開始` : `Check-in ${m[1]} opens`)],
    [/^task (\S+) due$/, (m) => (ja ? `タスクの期限（${m[1]}）` : `Task due (${m[1]})`)],
    [/^task (\S+)$/, (m) => (ja ? `タスクの開始（${m[1]}）` : `Task opens (${m[1]})`)],
    [/^escalation (\S+) SLA$/, (m) => `${ja ? '対応期限' : 'Due'}: ${label(ESCALATION_TYPES, m[1], locale)}`],
    [/^planned end$/, () => (ja ? '終了予定' : 'Planned end')],
    [/^(\S+) due$/, (m) => (ja ? `契約書類の期限（${m[1]}）` : `Contract due (${m[1]})`)],
  ];
  for (const [pattern, say] of rules) {
    const found = pattern.exec(what);
    if (found) return say(found);
  }
  return what;
}
