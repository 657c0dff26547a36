import { LARGEST_PLAYBOOK, MAX_PLAYBOOK_SETTINGS, playbookSettings } from '../../api/services/playbooks';
import { settingsForm } from '../../api/workspace/playbook';
import type { PlaybookSnapshot } from '../../workflows/shared';

/** The largest playbook, its tasks timed from each point a task can be timed from (each has its own setting). */
const largest: PlaybookSnapshot = {
  ...LARGEST_PLAYBOOK,
  version: 3,
  tasks: LARGEST_PLAYBOOK.tasks.map((task, i) => ({
    ...task,
    at: [
      { anchor: 'start', offset: '1d' } as const,
      { anchor: 'term', fraction: 0.5 } as const,
      { anchor: 'end', before: '14d' } as const,
      { anchor: 'close', offset: '3d' } as const,
    ][i % 4]!,
  })),
};

describe('the playbook’s settings form', () => {
  for (const locale of ['ja', 'en'] as const) {
    const settings = settingsForm(largest, locale, null, null).flatMap((s) => s.settings);

    it(`names every setting in ${locale}, none by its path alone`, () => {
      const unnamed = settings.filter((s) => !s.label).map((s) => s.path);
      expect(unnamed).toEqual([]);
      for (const s of settings) expect(s.label).not.toContain(s.path);
    });

    it(`says the unit of every number in ${locale} (points, check-ins, a share from 0 to 1…), in brackets at the end`, () => {
      const numbers = settings.filter((s) => s.kind === 'number');
      expect(numbers.length).toBeGreaterThan(30);
      const unit = locale === 'ja' ? /（[^（）]+）$/ : /\([^()]+\)$/;
      expect(numbers.filter((s) => !unit.test(s.label!)).map((s) => `${s.path}: ${s.label}`)).toEqual([]);
    });

    it(`names each risk-model setting in ${locale} by what it does, the typical answers by their question`, () => {
      const label = (path: string) => settings.find((s) => s.path === path)?.label;
      expect(label('riskModel.escalateAt')).toBe(
        locale === 'ja'
          ? '要因をエスカレーションするスコア（ぶれ幅の何倍分か。コーディネーターにメール）'
          : 'Escalate a cause from this score (in wobbles; the coordinator is emailed)',
      );
      expect(label('riskModel.typical.remote_tools')).toBe(
        locale === 'ja' ? 'リモート・ツールのふだんの回答（1〜5 点）' : 'Typical answer: Remote tools (1–5 points)',
      );
      expect(label('checkins.extraQuestions[9].kind')).toBe(
        locale === 'ja'
          ? '追加の質問 10 · 回答の形式（scale: 1〜5 の段階、text: 自由記述）'
          : 'Extra question 10 · Answered as (scale: 1 to 5, text: in words)',
      );
      // The risk model's format version can only be 1: not a field (the JSON box shows it).
      expect(label('riskModel.version')).toBeUndefined();
    });
  }

  it('has no more fields than the largest playbook has settings, which is what its forms are sized by', () => {
    const fields = settingsForm(largest, 'ja', null, null).flatMap((s) => s.settings);
    expect(MAX_PLAYBOOK_SETTINGS).toBe(playbookSettings(LARGEST_PLAYBOOK).length);
    // More than the 200 fields other workspace forms may have: the playbook's forms are read with a limit of their own.
    expect(fields.length).toBeGreaterThan(200);
    expect(fields.length).toBeLessThanOrEqual(MAX_PLAYBOOK_SETTINGS);
  });
});
