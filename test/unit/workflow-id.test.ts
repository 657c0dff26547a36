import { matchIdFor, matchIdOf, matchReference, matchWorkflowId } from '../../workflows/shared';

describe('match workflow ids', () => {
  it('builds match:<id> and reads it back', () => {
    expect(matchWorkflowId('m-2026-001')).toBe('match:m-2026-001');
    expect(matchIdOf('match:m-2026-001')).toBe('m-2026-001');
  });

  it('makes a match id from the program and its own reference, so two programs may use the same reference', () => {
    const kochi = matchIdFor('kochi', '2026-001');
    const nagano = matchIdFor('nagano-pref', '2026-001');
    expect([kochi, nagano]).toEqual(['kochi:2026-001', 'nagano-pref:2026-001']);
    expect(matchWorkflowId(kochi)).toBe('match:kochi:2026-001');
    expect(matchIdOf('match:kochi:2026-001')).toBe(kochi);
    expect([matchReference(kochi), matchReference('m-2026-001')]).toEqual(['2026-001', 'm-2026-001']);
  });

  it('refuses ids that are not match ids', () => {
    for (const bad of ['', ' ', '-leading', 'a/b', 'A:b', 'a:b:c', 'a:', ':b', 'x'.repeat(65), 'マッチ']) {
      expect(() => matchWorkflowId(bad)).toThrow(RangeError);
    }
  });

  it('returns undefined for workflows that are not matches', () => {
    expect(matchIdOf('digest:coordinator-1')).toBeUndefined();
    expect(matchIdOf('match:')).toBeUndefined();
  });
});
