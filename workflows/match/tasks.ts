/**
 * Coordinator tasks: reminders at the playbook's points (kickoff prep, mid-point review, wrap-up interview, the
 * outcome, a retrospective), each with a due date and one reminder when it is overdue; and tasks the situation calls
 * for (new kickoff slots).
 */
import { ZCompleteTask } from '../messages';
import { durationMs } from '../durations';
import { plannedTask } from '../schedule';
import { completeTaskUpdate, type CompleteTask, type MatchState } from '../shared';
import { assertValid, iso, ms, now, refuse, type MatchContext } from './context';

/** A task can be marked done while it is open. */
export function validateCompleteTask(state: MatchState, a: CompleteTask): void {
  const task = state.tasks.find((t) => t.id === a.taskId);
  if (!task) throw refuse('unknownTask', { taskId: a.taskId });
  if (task.status !== 'open') throw refuse('taskNotOpen', { taskStatus: task.status });
  assertValid(ZCompleteTask, a);
}

export class Tasks {
  constructor(private readonly ctx: MatchContext) {}

  listen(): void {
    this.ctx.action<CompleteTask>(
      completeTaskUpdate,
      (a) => this.complete(a.taskId, a.note),
      (a) => validateCompleteTask(this.ctx.state, a),
    );
  }

  /** Opens each task when its time comes, and reminds the coordinator once when it is overdue. */
  async run(): Promise<void> {
    const { ctx } = this;
    const nextAt = () => {
      const times = ctx.state.tasks.flatMap((t) =>
        t.status === 'scheduled' ? [ms(t.openAt)] : t.status === 'open' && !t.overdueReminded ? [ms(t.dueAt)] : [],
      );
      return times.length ? Math.min(...times) : null;
    };
    for (;;) {
      await ctx.waitUntil(nextAt, () => ctx.finished());
      if (ctx.finished()) return;
      this.openDueNow();
      for (const task of ctx.state.tasks) {
        if (task.status === 'open' && !task.overdueReminded && ms(task.dueAt) <= now()) {
          task.overdueReminded = true;
          ctx.email(
            `task-${task.id}-overdue`,
            'coordinator',
            ctx.state.match.coordinator,
            { task, overdue: true },
            { template: 'task-reminder' },
          );
          ctx.record('task.overdue', { taskId: task.id, key: task.key });
        }
      }
    }
  }

  openDueNow(): void {
    const { ctx } = this;
    for (const task of ctx.state.tasks) {
      if (task.status !== 'scheduled' || ms(task.openAt) > now()) continue;
      task.status = 'open';
      ctx.email(
        `task-${task.id}-open`,
        'coordinator',
        ctx.state.match.coordinator,
        { task, overdue: false },
        { template: 'task-reminder' },
      );
      ctx.record('task.opened', { taskId: task.id, key: task.key, dueAt: task.dueAt });
    }
  }

  /** A task the situation calls for (not on the playbook's fixed points), opened now unless one is already open. */
  openDynamic(key: string, label: MatchState['tasks'][number]['label'], dueWithin: string): void {
    const { state } = this.ctx;
    if (state.tasks.some((t) => t.key === key && t.status === 'open')) return;
    state.tasks.push(plannedTask(`${state.matchId}-task-${++state.seq}`, { key, label, dueWithin }, now()));
    this.openDueNow();
  }

  /** The coordinator did what a task asked for through another action (proposing slots, recording the outcome). */
  completeByKey(key: string): void {
    for (const task of this.ctx.state.tasks) {
      if (task.key === key && (task.status === 'open' || task.status === 'scheduled'))
        this.complete(task.id, 'done with the action it asked for');
    }
  }

  complete(taskId: string, note?: string): void {
    const task = this.ctx.state.tasks.find((t) => t.id === taskId)!;
    task.status = 'done';
    task.doneAt = iso(now());
    task.note = note;
    this.ctx.record('task.done', { taskId, key: task.key, note: note ?? null });
  }

  /** At the close: tasks not yet open are moot, and (behind `patched()`, by the caller) so are those still open. */
  cancelScheduled(): void {
    for (const task of this.ctx.state.tasks) if (task.status === 'scheduled') task.status = 'cancelled';
  }

  cancelOpen(): void {
    for (const task of this.ctx.state.tasks) if (task.status === 'open') task.status = 'cancelled';
  }

  /** After the close, the tasks anchored on it (the retrospective) are planned from the close. */
  planCloseAnchored(): void {
    const { state } = this.ctx;
    const closedAt = ms(state.outcome!.at);
    for (const def of state.playbook.tasks.filter((t) => t.at.anchor === 'close')) {
      if (state.outcome!.status === 'cancelled' || state.tasks.some((t) => t.key === def.key)) continue;
      const openAt = closedAt + durationMs((def.at as { offset: string }).offset);
      state.tasks.push(plannedTask(`${state.matchId}-task-${++state.seq}`, def, openAt));
    }
    this.ctx.changed();
  }
}
