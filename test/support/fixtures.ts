import type { Prisma } from '@prisma/client';
import type { Database } from '../../prisma/client';
import { localDate } from '../../workflows/calendar';
import { DEFAULT_PLAYBOOK, type Playbook } from '../../workflows/playbook';
import type { MatchSnapshot } from '../../workflows/shared';
import { toSnapshot, ZCreateMatchRequest, type TCreateMatchRequest } from '../../api/services/matches';
import { storeMatch } from '../../api/services/registration';

let counter = 0;
/** A unique suffix per call within a test file. */
export const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

/**
 * Sending at any hour on any day: for tests that run on the real clock (API, end to end), which may run at night.
 * The lifecycle tests on the time-skipping server keep the default JST business hours.
 */
export const ALWAYS_SEND = {
  sendingHours: { start: '00:00', end: '24:00' },
  sendDays: 'all',
  skipHolidays: false,
} as const;

/** A program; with `playbook`, its first playbook version is stored too (the default otherwise). */
export async function seedProgram(
  db: Database,
  id = unique('prog'),
  name = 'ふるさと兼業 テストプログラム',
  playbook?: Partial<Playbook>,
) {
  await db.program.create({ data: { id, name, region: '長野県' } });
  if (playbook)
    await db.playbook.create({ data: { programId: id, version: 1, body: { ...DEFAULT_PLAYBOOK, ...playbook } } });
  return { id, name };
}

/**
 * A match's start and end dates (JST), computed from a clock, never written into a year that will pass: starting
 * `inDays` after `from`'s date and running `months` months, or `days` days.
 */
export function matchDates({
  from = Date.now(),
  inDays = 7,
  months = 6,
  days,
}: { from?: number; inDays?: number; months?: number; days?: number } = {}): { startDate: string; endDate: string } {
  const start = new Date(`${localDate(from, 'Asia/Tokyo')}T00:00:00Z`);
  start.setUTCDate(start.getUTCDate() + inDays);
  const end = new Date(start);
  if (days !== undefined) end.setUTCDate(end.getUTCDate() + days);
  else end.setUTCMonth(end.getUTCMonth() + months);
  return { startDate: start.toISOString().slice(0, 10), endDate: end.toISOString().slice(0, 10) };
}

/** A CSV file for the import, one match a row (dates as Excel in Japan writes them, 2027/4/1), from today. */
export function importCsv(programId: string, ids: string[]): string {
  const { startDate, endDate } = matchDates();
  const slashed = (isoDate: string) => isoDate.split('-').map(Number).join('/');
  return (
    'id,program_id,title,start_date,end_date,host_organization,host_name,host_email,talent_name,talent_email,coordinator_name,coordinator_email\n' +
    ids
      .map(
        (id) =>
          `${id},${programId},観光DX,${slashed(startDate)},${slashed(endDate)},土佐観光,高橋 一,host.${id}@tosa.example,佐藤 二郎,talent.${id}@example.jp,鈴木 一郎,suzuki@npo.example`,
      )
      .join('\n')
  );
}

/** A POST /matches body, starting a week from today (real clock); dates, names and locales can be overridden. */
export function matchRequest(programId: string, overrides: Partial<TCreateMatchRequest> = {}): TCreateMatchRequest {
  const id = overrides.id ?? unique('m');
  return {
    id,
    programId,
    title: '地域の食品メーカーの EC 販路開拓',
    region: '長野県',
    ...matchDates(),
    host: { name: '山田 花子', email: `host.${id}@example.jp`, locale: 'ja', organization: '山田食品株式会社' },
    talent: { name: 'Alex Tanaka', email: `talent.${id}@example.com`, locale: 'en' },
    coordinator: { name: '鈴木 一郎', email: `coord.${id}@example.jp`, locale: 'ja' },
    ...overrides,
  };
}

/** Stores a match (and its people) directly, for workflow tests that start the workflow themselves. */
export async function seedMatch(db: Database, request: TCreateMatchRequest): Promise<MatchSnapshot> {
  return toSnapshot(await storeMatch(db, ZCreateMatchRequest.parse(request)));
}

/**
 * An escalation row as the read model holds it (the match's workflow does not know it): open, level 1, medium, due
 * now, unless `overrides` say otherwise.
 */
export function escalationRow(
  matchId: string,
  overrides: Partial<Prisma.EscalationCreateManyInput> = {},
): Prisma.EscalationCreateManyInput {
  const now = new Date();
  return {
    id: unique(`${matchId}-esc`),
    matchId,
    type: 'low_score',
    severity: 'medium',
    status: 'open',
    level: 1,
    reasons: [],
    evidence: {},
    openedAt: now,
    dueAt: now,
    ...overrides,
  };
}
