import { playbookChanges, playbookSettings } from '../../api/services/playbooks';
import { DEFAULT_PLAYBOOK } from '../../workflows/playbook';

/** What a new playbook version would change, setting by setting (shown before a program manager saves it). */
describe('playbook changes', () => {
  it('names each changed setting by its path, with its value before and after', () => {
    const after = structuredClone(DEFAULT_PLAYBOOK);
    after.checkins.cadence = '21d';
    after.escalation.slaBusinessDays = 5;
    expect(playbookChanges(DEFAULT_PLAYBOOK, after)).toEqual([
      { path: 'checkins.cadence', before: JSON.stringify(DEFAULT_PLAYBOOK.checkins.cadence), after: '"21d"' },
      {
        path: 'escalation.slaBusinessDays',
        before: String(DEFAULT_PLAYBOOK.escalation.slaBusinessDays),
        after: '5',
      },
    ]);
  });

  it('a task added or removed shows as its settings appearing or going; the version number is no change', () => {
    const after = structuredClone(DEFAULT_PLAYBOOK);
    const n = after.tasks.length;
    after.tasks.push({
      key: 'extra',
      label: { ja: '追加', en: 'Extra' },
      at: { anchor: 'term', fraction: 0.25 },
      dueWithin: '7d',
    });
    const changes = playbookChanges({ ...DEFAULT_PLAYBOOK, version: 1 } as typeof DEFAULT_PLAYBOOK, after);
    expect(changes.map((c) => c.path)).toEqual([
      `tasks[${n}].key`,
      `tasks[${n}].label.ja`,
      `tasks[${n}].label.en`,
      `tasks[${n}].at.anchor`,
      `tasks[${n}].at.fraction`,
      `tasks[${n}].dueWithin`,
    ]);
    expect(changes.every((c) => c.before === null)).toBe(true);
    expect(playbookChanges(after, DEFAULT_PLAYBOOK).every((c) => c.after === null)).toBe(true);
    expect(playbookChanges(DEFAULT_PLAYBOOK, structuredClone(DEFAULT_PLAYBOOK))).toEqual([]);
  });

  it('lists every setting of a playbook, without its version', () => {
    const settings = playbookSettings({ ...DEFAULT_PLAYBOOK, version: 3 } as typeof DEFAULT_PLAYBOOK);
    expect(settings).toContainEqual({
      path: 'sendingHours.start',
      value: JSON.stringify(DEFAULT_PLAYBOOK.sendingHours.start),
    });
    expect(settings.some((s) => s.path === 'version')).toBe(false);
  });
});
