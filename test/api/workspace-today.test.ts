import { escalationRow } from '../support/fixtures';
import { createDevStack, type DevStack } from '../support/stack';
import { signedInClient } from '../support/web-client';

/**
 * Today lists the escalations not yet resolved with the overdue ones first (open and past their due time), then the
 * others by due time: an acknowledged escalation due long ago waits behind an overdue one due later.
 */
describe('Today: open escalations, overdue first, then by due time', () => {
  let stack: DevStack;

  beforeAll(async () => {
    stack = await createDevStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('orders the escalations of the coordinator’s match on Today', async () => {
    const match = await stack.createMatch();
    const dueIn = (days: number) => new Date(Date.now() + days * 86_400_000);
    const id = (name: string) => `${match.id}-${name}`;
    // Inserted in an order that matches neither the expected one nor due time.
    await stack.database.db.escalation.createMany({
      data: [
        escalationRow(match.id, { id: id('later'), dueAt: dueIn(2) }),
        escalationRow(match.id, { id: id('resolved'), status: 'resolved', dueAt: dueIn(-5), resolvedAt: dueIn(-4) }),
        escalationRow(match.id, { id: id('acknowledged-long-ago'), status: 'acknowledged', dueAt: dueIn(-3) }),
        escalationRow(match.id, { id: id('overdue-1-day'), dueAt: dueIn(-1) }),
        escalationRow(match.id, { id: id('snoozed-soon'), status: 'snoozed', dueAt: dueIn(1) }),
        escalationRow(match.id, { id: id('overdue-2-days'), dueAt: dueIn(-2) }),
      ],
    });

    const coordinator = await signedInClient(stack, match.coordinator.email);
    const today = await coordinator.get('/workspace');
    expect(today.status).toBe(200);
    const listed = [...today.text.matchAll(/<article class="card( overdue)?" id="esc-([^"]+)"/g)].map(
      ([, overdue, escId]) => `${escId!.slice(match.id.length + 1)}${overdue ? ' (overdue)' : ''}`,
    );
    expect(listed).toEqual([
      'overdue-2-days (overdue)',
      'overdue-1-day (overdue)',
      'acknowledged-long-ago',
      'snoozed-soon',
      'later',
    ]);
  });
});
