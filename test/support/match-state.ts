import { DEFAULT_PLAYBOOK, type Playbook } from '../../workflows/playbook';
import { initialState } from '../../workflows/schedule';
import type { MatchSnapshot, MatchState } from '../../workflows/shared';

/** For the unit tests of workflow logic: a fixed instant, a Tuesday morning in JST (never the wall clock). */
export const NOW = Date.parse('2026-12-01T10:00:00+09:00');
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const at = (ms: number) => new Date(ms).toISOString();

export const person = (name: string, email: string) => ({ personId: email, name, email, locale: 'ja' as const });

/** A six-month match starting on NOW's date. */
export const SNAPSHOT: MatchSnapshot = {
  id: 'm-1',
  programId: 'p-1',
  programName: 'ふるさと兼業',
  title: 'EC 販路開拓',
  startDate: '2026-12-01',
  endDate: '2027-05-31',
  host: { ...person('山田 花子', 'host@example.jp'), organization: '山田食品' },
  talent: person('Alex Tanaka', 'talent@example.com'),
  coordinator: person('鈴木 一郎', 'coord@example.jp'),
  programManagers: [],
};

/** The state of that match as its workflow starts at NOW. */
export const freshState = (playbook: Playbook = DEFAULT_PLAYBOOK): MatchState =>
  initialState(SNAPSHOT, { ...playbook, version: 1 }, NOW);
