import { matchIdOf, matchWorkflowId } from '../../workflows/shared';

describe('match workflow ids', () => {
  it('builds match:<id> and reads it back', () => {
    expect(matchWorkflowId('m-2026-001')).toBe('match:m-2026-001');
    expect(matchIdOf('match:m-2026-001')).toBe('m-2026-001');
  });

  it('refuses ids that are not match ids', () => {
    for (const bad of ['', ' ', '-leading', 'a/b', 'a:b', 'x'.repeat(65), 'マッチ']) {
      expect(() => matchWorkflowId(bad)).toThrow(RangeError);
    }
  });

  it('returns undefined for workflows that are not matches', () => {
    expect(matchIdOf('digest:coordinator-1')).toBeUndefined();
    expect(matchIdOf('match:')).toBeUndefined();
  });
});
