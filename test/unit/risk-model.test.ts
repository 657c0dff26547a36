import type { CheckinAnswers, Respondent, ScaleQuestion } from '../../workflows/checkin-questions';
import { DEFAULT_RISK_MODEL, type RiskModel } from '../../workflows/playbook';
import { assessRisk, type RiskHistoryEntry, type RiskRoundEntry, type RiskStep } from '../../workflows/risk-model';
import { healthyAnswers } from '../support/answers';

const model = DEFAULT_RISK_MODEL;
type Scores = Partial<Record<ScaleQuestion, number>>;
/** A side's answers in a round: scores that differ from a healthy answer, `'asks'` to want the coordinator, or null. */
type Side = Scores | null | { asks: true; scores?: Scores };

const at = (round: number) => new Date(Date.UTC(2027, 0, 4 + 14 * round, 3)).toISOString();

function round(n: number, host: Side, talent: Side, final = false): RiskRoundEntry {
  const answers: Partial<Record<Respondent, CheckinAnswers>> = {};
  for (const [side, given] of [
    ['host', host],
    ['talent', talent],
  ] as const) {
    if (given === null) continue;
    answers[side] =
      'asks' in given
        ? healthyAnswers({ scores: given.scores, wantsCoordinator: true })
        : healthyAnswers({ scores: given as Scores });
  }
  return { kind: 'round', round: n, at: at(n), answers, ...(final ? { final } : {}) };
}

/** Rounds 1..n with both sides answering as given per round (the same for host unless told). */
const rounds = (talent: Side[], host: Side[] = talent.map(() => ({}))): RiskRoundEntry[] =>
  talent.map((t, i) => round(i + 1, host[i] ?? {}, t));

const opened = (steps: RiskStep[]) => steps.flatMap((s) => s.opened.map((o) => ({ round: s.round, cause: o.cause })));
const closed = (steps: RiskStep[]) => steps.flatMap((s) => s.closed.map((c) => ({ index: s.index, ...c })));
const levelOf = (step: RiskStep, cause: string) => step.state.causes.find((c) => c.cause === cause)?.level ?? 'none';

describe('risk model: telling trouble from noise', () => {
  it('a steady healthy match shows nothing', () => {
    const steps = assessRisk(rounds(Array.from({ length: 12 }, () => ({}))), model);
    expect(steps).toHaveLength(12);
    expect(steps.every((s) => s.state.level === 'none' && !s.opened.length)).toBe(true);
  });

  it('one bad check-in is a watch, not an escalation, and fades', () => {
    const talent: Side[] = [{}, {}, {}, {}, { remote_tools: 2, satisfaction: 3 }, {}, {}];
    const steps = assessRisk(rounds(talent), model);
    expect(opened(steps)).toEqual([]);
    expect(levelOf(steps[4]!, 'remote_tools')).toBe('watch');
    expect(steps[4]!.state.level).toBe('watch');
    expect(steps[6]!.state.level).toBe('none');
  });

  it('a sustained fall on one question escalates that cause, with the numbers in words (ja and en)', () => {
    const talent: Side[] = [{ remote_tools: 4 }, { remote_tools: 5 }, { remote_tools: 4 }, { remote_tools: 4 }];
    const steps = assessRisk(rounds([...talent, { remote_tools: 2 }, { remote_tools: 2 }]), model);
    expect(opened(steps)).toEqual([{ round: 6, cause: 'remote_tools' }]);
    const escalation = steps[5]!.opened[0]!;
    expect(escalation.evidence[0]).toEqual({
      kind: 'fell',
      side: 'talent',
      question: 'remote_tools',
      usual: 4.18,
      recent: [2, 2],
    });
    expect(escalation.reason.en).toBe(
      "talent's answers on remote tools fell from their usual 4.2 to 2 over their last 2 check-ins",
    );
    expect(escalation.reason.ja).toBe(
      '人材の「オンラインツール・リモートでの進め方」の回答が、いつもの4.2から直近2回の回答で2に下がりました。',
    );
    expect(escalation.score).toBeGreaterThanOrEqual(model.escalateAt);
    expect(steps[5]!.state.level).toBe('escalated');
  });

  it('a steady 2-point gap between host and talent is their usual, not trouble', () => {
    const steps = assessRisk(
      rounds(
        Array.from({ length: 10 }, () => ({ priority: 3, expectation: 3 })),
        Array.from({ length: 10 }, () => ({ priority: 5, expectation: 5 })),
      ),
      model,
    );
    expect(opened(steps)).toEqual([]);
  });

  it('a gap that opens and stays is a priority and expectation gap', () => {
    const host: Side[] = Array.from({ length: 7 }, () => ({ priority: 4 }));
    const talent: Side[] = [{}, {}, {}, {}, { priority: 2 }, { priority: 2 }, { priority: 2 }];
    const steps = assessRisk(rounds(talent, host), model);
    // Priority alone (expectations unchanged) is read with expectations, so it takes a third check-in.
    expect(opened(steps)).toEqual([{ round: 7, cause: 'priority_gap' }]);
    expect(steps[6]!.opened[0]!.reason.en).toContain("talent's answers on priority fell from their usual 4 to 2");
    expect(steps[6]!.opened[0]!.evidence).toContainEqual(
      expect.objectContaining({ kind: 'gap', question: 'priority', host: [4, 4, 4], talent: [2, 2, 2], usualGap: 0 }),
    );
  });

  it('priority and expectations falling together escalate sooner', () => {
    const talent: Side[] = [{}, {}, {}, {}, { priority: 2, expectation: 2 }, { priority: 2, expectation: 2 }];
    expect(opened(assessRisk(rounds(talent), model))).toEqual([{ round: 6, cause: 'priority_gap' }]);
  });

  it('the same fall on both sides counts for more than on one', () => {
    const fall: Side[] = [{}, {}, {}, {}, { task_clarity: 3 }, { task_clarity: 3 }];
    const oneSide = assessRisk(rounds(fall), model);
    const bothSides = assessRisk(rounds(fall, fall), model);
    const score = (steps: RiskStep[]) => steps[5]!.state.causes.find((c) => c.cause === 'task_design')?.score ?? 0;
    expect(score(bothSides)).toBeGreaterThan(score(oneSide));
  });

  it('numbers come from the playbook: a higher escalation level holds the same fall at a watch', () => {
    const talent: Side[] = [{}, {}, {}, {}, { remote_tools: 2 }, { remote_tools: 2 }];
    const lenient: RiskModel = { ...model, escalateAt: 10 };
    expect(opened(assessRisk(rounds(talent), lenient))).toEqual([]);
    expect(levelOf(assessRisk(rounds(talent), lenient)[5]!, 'remote_tools')).toBe('watch');
  });
});

describe('risk model: silence', () => {
  it('one skip is nothing; a side that always answered going quiet is watched, then escalated', () => {
    const talent: Side[] = [{}, {}, {}, {}, {}, {}, null, null, null, null];
    const steps = assessRisk(rounds(talent), model);
    expect(steps[6]!.state.level).toBe('none');
    expect(levelOf(steps[7]!, 'silence')).toBe('watch');
    expect(opened(steps)).toEqual([{ round: 10, cause: 'silence' }]);
    expect(steps[9]!.opened[0]!.reason.en).toBe(
      'talent has not answered the last 4 check-ins, after answering 6 of the 6 before',
    );
  });

  it('a side that rarely answers is not escalated for skipping as soon', () => {
    const talent: Side[] = [{}, null, {}, null, {}, null, null, null, null, null];
    const steps = assessRisk(rounds(talent), model);
    expect(opened(steps).filter((o) => o.round! <= 9)).toEqual([]);
  });

  it('a side whose answers were falling and who then goes quiet is escalated, with both facts', () => {
    const talent: Side[] = [{}, {}, {}, {}, { remote_tools: 2 }, null, null, null, null];
    const steps = assessRisk(rounds(talent), model);
    expect(levelOf(steps[5]!, 'remote_tools')).toBe('watch');
    expect(levelOf(steps[7]!, 'silence')).toBe('watch');
    expect(opened(steps)).toEqual([{ round: 9, cause: 'silence' }]);
    expect(steps[8]!.opened[0]!.reason.en).toBe(
      "talent's answers on remote tools fell from their usual 4 to 2 in their last check-in; " +
        'talent has not answered the last 4 check-ins, after answering 5 of the 5 before',
    );
  });

  it('both sides missing a whole round twice in a row is escalated at once', () => {
    const steps = assessRisk([round(1, {}, {}), round(2, null, null), round(3, null, null)], model);
    expect(levelOf(steps[1]!, 'rounds_missed')).toBe('watch');
    expect(opened(steps)).toEqual([{ round: 3, cause: 'rounds_missed' }]);
    expect(steps[2]!.opened[0]!.reason.ja).toBe(
      '直近2回のチェックインに、受入事業者・人材のどちらも回答していません。',
    );
  });
});

describe('risk model: explicit signals', () => {
  it('"I would like to talk to the coordinator" escalates in the round it is asked', () => {
    const steps = assessRisk([round(1, {}, {}), round(2, {}, { asks: true })], model);
    expect(opened(steps)).toEqual([{ round: 2, cause: 'wants_coordinator' }]);
    expect(steps[1]!.opened[0]!.reason.en).toBe('talent would like to talk to the coordinator');
  });

  it('a missed milestone escalates at once and closes when it is met', () => {
    const history: RiskHistoryEntry[] = [
      {
        kind: 'milestone',
        at: at(0),
        cause: 'contract_overdue',
        missed: true,
        detail: {
          documents: [
            {
              type: 'outsourcing_contract',
              label: { ja: '業務委託契約書', en: 'Outsourcing contract' },
              status: 'missing',
            },
          ],
        },
      },
      { kind: 'milestone', at: at(1), cause: 'contract_overdue', missed: false },
    ];
    const steps = assessRisk(history, model);
    expect(steps[0]!.opened[0]!.reason).toEqual({
      en: 'contract documents not verified by their due date: Outsourcing contract (missing)',
      ja: '契約書類が期日までに確認できていません: 業務委託契約書（未提出）。',
    });
    expect(steps[1]!.closed).toEqual([expect.objectContaining({ cause: 'contract_overdue', why: 'met' })]);
    expect(steps[1]!.state.level).toBe('none');
  });

  it('the close-out survey escalates nothing, though it shows', () => {
    const talent: Side[] = [{}, {}, {}, {}, { remote_tools: 2 }];
    const steps = assessRisk([...rounds(talent), round(6, {}, { remote_tools: 2 }, true)], model);
    expect(opened(steps)).toEqual([]);
    expect(steps[5]!.state.causes).toContainEqual(
      expect.objectContaining({ cause: 'remote_tools', level: 'watch', heldBack: 'final' }),
    );
  });
});

describe('risk model: hysteresis, cooldown and the coordinator', () => {
  const trouble: Side[] = [{}, {}, {}, {}, { working_style: 1 }, { working_style: 1 }];

  it('an escalation does not close on one clean check-in, but after `clearAfter` of them', () => {
    const steps = assessRisk(rounds([...trouble, {}, {}, {}, {}, {}]), model);
    expect(opened(steps)).toEqual([{ round: 6, cause: 'working_style' }]);
    const closing = closed(steps);
    expect(closing).toHaveLength(1);
    expect(closing[0]).toMatchObject({ cause: 'working_style', why: 'cleared' });
    // The score first has to fall below the watch level; then two clean check-ins in a row.
    const first = closing[0]!.index;
    expect(first).toBeGreaterThanOrEqual(7);
    expect(levelOf(steps[first - 1]!, 'working_style')).toBe('escalated');
    expect(steps[first]!.closed[0]!.reason.en).toBe('no sign of it in the last 2 check-ins');
  });

  it('does not escalate the same cause again within the cooldown; after it, new evidence does', () => {
    const clean: Side[] = [{}, {}, {}, {}];
    const again: Side[] = [{ working_style: 1 }, { working_style: 1 }, { working_style: 1 }, { working_style: 1 }];
    const steps = assessRisk(rounds([...trouble, ...clean, ...again]), model);
    const closedAt = closed(steps)[0]!.index + 1; // the round count at the close
    const reopened = opened(steps).filter((o) => o.cause === 'working_style')[1];
    expect(reopened).toBeDefined();
    expect(reopened!.round! - closedAt).toBeGreaterThan(model.cooldownRounds);
    const heldBack = steps.filter((s) => s.state.causes.some((c) => c.heldBack === 'cooldown'));
    expect(heldBack.length).toBeGreaterThan(0);
  });

  it('once the coordinator resolved it, evidence already seen does not re-open it; new evidence does', () => {
    const history: RiskHistoryEntry[] = [
      ...rounds(trouble),
      { kind: 'coordinator', at: at(6.5), cause: 'working_style', action: 'resolved' },
    ];
    const steps = assessRisk(history, model);
    expect(steps[6]!.closed).toEqual([expect.objectContaining({ cause: 'working_style', why: 'resolved' })]);
    expect(steps[6]!.state.level).toBe('none');
    const after = assessRisk([...history, ...[7, 8, 9, 10, 11].map((n) => round(n, {}, { working_style: 1 }))], model);
    const reopened = opened(after).filter((o) => o.cause === 'working_style');
    expect(reopened.map((o) => o.round)).toEqual([6, 10]);
  });

  it('a snoozed escalation stays quiet until its date, then re-opens only on evidence after the snooze', () => {
    const history: RiskHistoryEntry[] = [
      ...rounds(trouble),
      { kind: 'coordinator', at: at(6.5), cause: 'working_style', action: 'snoozed', until: at(12) },
      ...[7, 8, 9, 10, 11, 12, 13].map((n) => round(n, {}, { working_style: 1 })),
    ];
    const steps = assessRisk(history, model);
    const reopened = opened(steps).filter((o) => o.cause === 'working_style');
    expect(reopened.map((o) => o.round)).toEqual([6, 12]);
    expect(steps.some((s) => s.state.causes.some((c) => c.heldBack === 'snoozed'))).toBe(true);
  });
});

describe('risk model: when a snooze ends', () => {
  const trouble: Side[] = [{}, {}, {}, {}, { working_style: 1 }, { working_style: 1 }];
  const snoozed = (until: number): RiskHistoryEntry => ({
    kind: 'coordinator',
    at: at(6.5),
    cause: 'working_style',
    action: 'snoozed',
    until: at(until),
  });
  const ended = (when: number): RiskHistoryEntry => ({
    kind: 'coordinator',
    at: at(when),
    cause: 'working_style',
    action: 'snooze_ended',
  });

  it('re-opens at once when evidence enough came in while snoozed', () => {
    const history = [
      ...rounds(trouble),
      snoozed(9),
      ...[7, 8].map((n) => round(n, {}, { working_style: 1 })),
      ended(9),
    ];
    const steps = assessRisk(history, model);
    expect(steps.at(-1)!.opened.map((o) => o.cause)).toEqual(['working_style']);
  });

  it('stays closed when nothing new came in', () => {
    const history = [...rounds(trouble), snoozed(9), ...[7, 8].map((n) => round(n, {}, {})), ended(9)];
    const steps = assessRisk(history, model);
    expect(steps.at(-1)!.opened).toEqual([]);
    expect(steps.at(-1)!.state.level).toBe('none');
  });

  it('a milestone still missed re-opens; once met it does not', () => {
    const missed: RiskHistoryEntry = {
      kind: 'milestone',
      at: at(0),
      cause: 'kickoff_not_held',
      missed: true,
      detail: { deadline: '2027-01-18', kickoffStatus: 'proposed' },
    };
    const snooze: RiskHistoryEntry = {
      kind: 'coordinator',
      at: at(0.2),
      cause: 'kickoff_not_held',
      action: 'snoozed',
      until: at(0.5),
    };
    const end: RiskHistoryEntry = {
      kind: 'coordinator',
      at: at(0.5),
      cause: 'kickoff_not_held',
      action: 'snooze_ended',
    };
    const still = assessRisk([missed, snooze, end], model);
    expect(still[0]!.opened[0]!.reason.en).toBe('the kickoff was not held by 2027-01-18 (proposed)');
    expect(still[2]!.opened.map((o) => o.cause)).toEqual(['kickoff_not_held']);
    const met: RiskHistoryEntry = { kind: 'milestone', at: at(0.3), cause: 'kickoff_not_held', missed: false };
    expect(assessRisk([missed, snooze, met, end], model)[3]!.opened).toEqual([]);
  });
});

describe('risk model: one function, replayable', () => {
  it('a longer history gives the same first steps (the workflow acts on the last one)', () => {
    const talent: Side[] = [{}, {}, null, { satisfaction: 2 }, { remote_tools: 2 }, { remote_tools: 1 }, null, {}];
    const history = rounds(talent);
    const whole = assessRisk(history, model);
    for (let n = 1; n <= history.length; n++) expect(assessRisk(history.slice(0, n), model)).toEqual(whole.slice(0, n));
  });

  it('is deterministic and does not change its input', () => {
    const history = rounds([{}, { remote_tools: 2 }, { remote_tools: 2 }, null]);
    const copy = structuredClone(history);
    expect(assessRisk(history, model)).toEqual(assessRisk(copy, model));
    expect(history).toEqual(copy);
  });
});
