/**
 * Contract documents (業務委託契約書 by default): chased with the host before and at their due date; a required
 * document not verified by then is an escalation until it is.
 */
import { condition } from '@temporalio/workflow';
import { localDate } from '../calendar';
import { durationMs } from '../durations';
import { ZSetContractStatus } from '../messages';
import { contractOverdueSignal } from '../risk';
import { contractDueAt } from '../schedule';
import { setContractStatusUpdate, type ContractStatus, type MatchState, type SetContractStatus } from '../shared';
import { assertOpen, assertValid, iso, now, refuse, type MatchContext } from './context';
import type { Escalations } from './escalations';

/** Which status a document may move to from each one. */
export const CONTRACT_TRANSITIONS: Record<ContractStatus, ContractStatus[]> = {
  missing: ['submitted', 'verified'],
  submitted: ['verified', 'rejected', 'missing'],
  rejected: ['submitted', 'verified'],
  verified: ['missing', 'rejected'],
};

export function validateSetContractStatus(state: MatchState, a: SetContractStatus): void {
  assertOpen(state);
  const doc = state.contracts.find((c) => c.type === a.type);
  if (!doc) throw refuse('unknownContract', { type: a.type, types: state.contracts.map((c) => c.type).join(', ') });
  if (!CONTRACT_TRANSITIONS[doc.status].includes(a.status))
    throw refuse('contractTransition', { contractStatus: doc.status, next: a.status });
  assertValid(ZSetContractStatus, a);
}

export class Contracts {
  constructor(
    private readonly ctx: MatchContext,
    private readonly escalations: Escalations,
  ) {}

  listen(): void {
    const { ctx } = this;
    ctx.action<SetContractStatus>(
      setContractStatusUpdate,
      (a) => {
        const doc = ctx.state.contracts.find((c) => c.type === a.type)!;
        const from = doc.status;
        doc.status = a.status;
        doc.reason = a.reason;
        doc.updatedAt = iso(now());
        ctx.record('contract.status', { type: a.type, from, to: a.status, reason: a.reason ?? null });
      },
      (a) => validateSetContractStatus(ctx.state, a),
    );
  }

  /** Reminds the host before and at the due date; overdue, escalates until every required document is verified. */
  async run(): Promise<void> {
    const { ctx } = this;
    const outstanding = () => ctx.state.contracts.filter((c) => c.required && c.status !== 'verified');
    const reminderBefore = durationMs(ctx.state.playbook.contracts.reminderBefore);
    for (;;) {
      await condition(() => ctx.isClosed() || outstanding().length > 0);
      if (ctx.isClosed()) return;
      const due = contractDueAt(ctx.state);
      const settled = () => ctx.isClosed() || outstanding().length === 0 || contractDueAt(ctx.state) !== due;
      const dueDay = localDate(due, ctx.state.playbook.timeZone);
      const before = `contract-${dueDay}-before`;
      const atDue = `contract-${dueDay}-due`;
      // Each reminder and the escalation happen once per due date, also across continue-as-new.
      if (!ctx.done(before) && (await ctx.waitUntil(() => due - reminderBefore, settled))) {
        ctx.markDone(before);
        this.remindHost(before, false);
      }
      if (ctx.done(atDue) || (await ctx.waitUntil(() => due, settled))) {
        if (!ctx.done(atDue)) {
          ctx.markDone(atDue);
          this.remindHost(atDue, true);
          this.escalations.raiseMilestone(
            contractOverdueSignal(outstanding().map((c) => ({ type: c.type, status: c.status }))),
          );
        }
        await condition(() => ctx.isClosed() || outstanding().length === 0);
      }
      if (outstanding().length === 0)
        this.escalations.clearMilestone('contract_overdue', 'all required documents are verified');
    }
  }

  /** The due date follows the kickoff: each document's date is written again when it moves. */
  refreshDueDates(): void {
    const dueAt = iso(contractDueAt(this.ctx.state));
    for (const c of this.ctx.state.contracts) c.dueAt = dueAt;
  }

  private remindHost(step: string, overdue: boolean): void {
    const { ctx } = this;
    const documents = ctx.state.contracts.filter(
      (c) => c.required && (c.status === 'missing' || c.status === 'rejected'),
    );
    if (!documents.length) return;
    const dueAt = iso(contractDueAt(ctx.state));
    ctx.email(step, 'host', ctx.state.match.host, { documents, dueAt, overdue }, { template: 'contract-reminder' });
  }
}
