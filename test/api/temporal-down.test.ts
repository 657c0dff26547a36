import { createApp } from '../../api/app';
import { RETRY_AFTER_SECONDS } from '../../api/errors';
import type { RouteDef } from '../../api/routing';
import { startAnswerRelay } from '../../api/services/checkins';
import { eventually } from '../support/eventually';
import { escalationRow, matchRequest, unique } from '../support/fixtures';
import { hiddenFields, pagesAwaitingAnswers, postForm, template } from '../support/outage';
import { COMPLETE_CHECKIN_FORM, createDevStack, type DevStack } from '../support/stack';
import { captureLog } from '../support/logs';
import { signedInClient } from '../support/web-client';

/** What the README promises a caller while Temporal is down: a 503 within 10 s. */
const PROMISED_MS = 10_000;

const future = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

/**
 * A body each action accepts (checked against the route's schema below), so that the request gets as far as Temporal.
 * A new action without an entry here fails the test.
 */
const ACTION_BODIES: Record<string, unknown> = {
  'kickoff/proposals': { slots: [{ startsAt: future(30), durationMinutes: 60 }] },
  'kickoff/schedule': { startsAt: future(30), durationMinutes: 30 },
  'kickoff/cancel': { reason: '日程の再調整' },
  'kickoff/record': { held: true },
  'contracts/:type': { status: 'verified' },
  'tasks/:taskId/done': {},
  notes: { text: '障害中に送ったメモ' },
  pause: { reason: '繁忙期' },
  resume: {},
  extend: { endDate: '2027-08-31' },
  reassign: { coordinator: { name: '佐藤 三郎', email: 'sato@npo.example' } },
  'end-early': { reason: 'priority_change' },
  complete: {},
  cancel: { reason: '取りやめ' },
  ack: {},
  resolve: { note: '対応済み' },
  snooze: { until: future(7), reason: '来週に確認' },
};

describe('Temporal down: a real dev server, killed and started again, under a running API and worker', () => {
  let stack: DevStack;
  const api = captureLog('api');
  let stopRelay: (() => void) | undefined;

  beforeAll(async () => {
    stack = await createDevStack({
      stoppableTemporal: true,
      log: api.log,
    });
    // The API process runs the relay of saved answers with its own Temporal client.
    stopRelay = startAnswerRelay(stack.deps.db, stack.deps.temporal, { intervalMs: 300 });
  });
  afterAll(async () => {
    stopRelay?.();
    await stack?.close();
  });

  it('every route that needs Temporal answers 503 with Retry-After within 10 s, nothing half-done; the API carries on', async () => {
    // Before: match A with check-in 1 open (host, ja) and an escalation; B with kickoff slots proposed (talent, en).
    const { a, checkinLink, checkinForm, kickoffLink, kickoffForm } = await pagesAwaitingAnswers(stack);
    const escalation = escalationRow(a.id);
    await stack.database.db.escalation.create({ data: escalation });
    const coordinator = await signedInClient(stack, a.coordinator.email);

    const defs = createApp(stack.deps).locals.routeDefs as RouteDef<never, never, never>[];
    const keyed = defs.filter((d) => d.access !== 'public');
    const needsTemporal = (d: RouteDef<never, never, never>) =>
      d.method === 'post' && /^\/(matches|escalations\/:id\/|imports\/)/.test(d.path) && d.path !== '/matches/:id';
    const pathOf = (d: RouteDef<never, never, never>) =>
      d.path
        .replace(/^\/escalations\/:id/, `/escalations/${escalation.id}`)
        .replace(/^\/matches\/:id/, `/matches/${a.id}`)
        .replace(/^\/programs\/:id/, `/programs/${stack.programId}`)
        .replace(':type', 'outsourcing_contract')
        .replace(':taskId', 'kickoff_prep')
        .replace(/^\/api-keys\/:id/, '/api-keys/bsk_nosuchkey');
    const registration = matchRequest(stack.programId);
    const csvId = unique('csv');
    const bodyOf = (d: RouteDef<never, never, never>): unknown => {
      if (d.method === 'get') return undefined;
      if (d.path === '/matches') return registration;
      if (d.path === '/imports/matches')
        return (
          'id,program_id,title,start_date,end_date,host_organization,host_name,host_email,talent_name,talent_email,coordinator_name,coordinator_email\n' +
          `${csvId},${stack.programId},観光DX,2026/12/1,2027/3/31,土佐観光,高橋 一,host.${csvId}@tosa.example,佐藤 二郎,talent.${csvId}@example.jp,鈴木 一郎,suzuki@npo.example`
        );
      if (d.path === '/programs') return { id: unique('prog'), name: '障害中に作るプログラム' };
      const action = /^\/(?:matches|escalations)\/:id\/(.+)$/.exec(d.path)?.[1];
      if (!action) return {};
      expect([d.path, action in ACTION_BODIES]).toEqual([d.path, true]);
      // The sample must pass the route's own schema, or the request would stop at a 400 before Temporal.
      expect([
        d.path,
        (d as { body?: { safeParse(v: unknown): { success: boolean } } }).body?.safeParse(ACTION_BODIES[action])
          .success,
      ]).toEqual([d.path, true]);
      return ACTION_BODIES[action];
    };
    expect(keyed.filter(needsTemporal).length).toBeGreaterThan(15);
    const requests = keyed.map((def) => ({ def, path: pathOf(def), body: bodyOf(def) }));

    await stack.temporal!.stop();
    try {
      // Every keyed route, a few at a time (each may wait for Temporal up to its deadline; this process, which is
      // also the worker and the test, would otherwise add its own delays to what is measured).
      const answers = [];
      for (let i = 0; i < requests.length; i += 8) {
        answers.push(
          ...(await Promise.all(
            requests.slice(i, i + 8).map(async ({ def, path, body }) => {
              const csv = def.bodyContentType === 'text/csv';
              const started = Date.now();
              const res = await stack.api.request(
                def.method.toUpperCase(),
                path,
                body,
                csv ? { 'content-type': 'text/csv' } : {},
              );
              return { def, res, ms: Date.now() - started };
            }),
          )),
        );
      }
      const slowest = answers.reduce((a, b) => (b.ms > a.ms ? b : a));
      console.log(`Temporal stopped: ${answers.length} keyed routes answered, the slowest in ${slowest.ms} ms`);
      for (const { def, res, ms } of answers) {
        const what = `${def.method.toUpperCase()} ${def.path}`;
        expect([what, ms < PROMISED_MS]).toEqual([what, true]);
        expect(res.text).not.toMatch(/\bat .*:\d+:\d+|problem-internal/);
        if (needsTemporal(def)) {
          expect([what, res.status, res.headers.get('retry-after')]).toEqual([what, 503, String(RETRY_AFTER_SECONDS)]);
          expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
          expect(res.body).toMatchObject({ status: 503, type: '/docs#problem-unavailable' });
          expect(res.body.detail).toMatch(/Temporal/);
        } else {
          expect([what, res.status < 500]).toEqual([what, true]);
        }
      }
      // One match reads from the read model, saying that its workflow did not answer.
      // One match reads from the read model; asked for its live state too, it says that its workflow did not answer.
      const detail = await stack.api.request('GET', `/matches/${a.id}?live=true`);
      expect(detail.status).toBe(200);
      expect(detail.body).toMatchObject({
        match: { id: a.id, status: 'open' },
        live: null,
        liveError: expect.any(String),
      });
      // Nothing half-registered: no row for the match or the CSV row.
      await expect(
        stack.database.db.match.count({
          where: { id: { in: [`${stack.programId}:${registration.id}`, `${stack.programId}:${csvId}`] } },
        }),
      ).resolves.toBe(0);

      const health = await stack.api.request('GET', '/healthz');
      expect([health.status, health.body.down, health.headers.get('retry-after')]).toEqual([
        503,
        ['temporal'],
        expect.any(String),
      ]);

      // A check-in answer is saved (Postgres is up) and thanked for; it reaches the workflow later.
      const checkin = await postForm(stack, checkinLink, {
        ...checkinForm,
        ...COMPLETE_CHECKIN_FORM,
        comment: '障害中に回答しました',
      });
      expect(checkin.status).toBe(200);
      expect(checkin.text).toContain('ご回答ありがとうございました');

      // A kickoff answer goes to the workflow itself: not saved, said in the person's language, with what they chose
      // and wrote kept in the form to send again.
      const kickoff = await postForm(stack, kickoffLink, { ...kickoffForm, choice: '0', note: 'Mornings suit me' });
      expect([kickoff.status, kickoff.headers.get('retry-after')]).toEqual([503, String(RETRY_AFTER_SECONDS)]);
      expect(kickoff.text).toContain('<html lang="en">');
      expect(kickoff.text).toContain('Your answer has not been saved');
      expect(hiddenFields(kickoff.text)).toMatchObject({ choice: '0', note: 'Mornings suit me' });

      // The workspace: the match page reads the read model; an action is refused with what was typed kept.
      expect((await coordinator.get(`/workspace/matches/${a.id}`)).status).toBe(200);
      const note = await coordinator.submit(`/workspace/matches/${a.id}`, `/workspace/matches/${a.id}/notes`, {
        text: 'ワークスペースから障害中に書いたメモ',
      });
      expect([note.status, note.headers.get('retry-after')]).toEqual([503, String(RETRY_AFTER_SECONDS)]);
      expect(note.text).toContain('いまは処理を完了できませんでした');
      expect(note.text).toContain('>ワークスペースから障害中に書いたメモ</textarea>');
    } finally {
      await stack.temporal!.start();
    }

    // Back on the same port and state, the API not restarted: the registration refused during the outage goes
    // through as if for the first time, and /healthz is green again. (The worker's side: the test below.)
    await eventually(async () => (await stack.api.request('POST', '/matches', registration)).status === 201, {
      timeoutMs: 60_000,
    });
    await expect(
      stack.database.db.match.count({
        where: { id: `${stack.programId}:${registration.id}`, registeredAt: { not: null } },
      }),
    ).resolves.toBe(1);
    await eventually(async () => (await stack.api.request('GET', '/healthz')).status === 200, { timeoutMs: 15_000 });

    // Said to the callers, logged in one line each: no unhandled errors, no stack traces.
    expect(api.lines.filter((l) => /unhandled|page error/.test(l.msg))).toEqual([]);
    expect(api.lines.some((l) => l.msg === 'dependency unavailable')).toBe(true);
    expect(api.raw.filter((l) => /\\n\s+at /.test(l))).toEqual([]);
  }, 300_000);
});

describe('Temporal down: the worker carries on by itself', () => {
  let stack: DevStack;
  beforeAll(async () => {
    stack = await createDevStack({ stoppableTemporal: true });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('after the dev server is killed mid-work for a minute and started again, the same worker takes the next match', async () => {
    // Eight matches just registered: their workflows are at work (first tasks, opening emails) when the server dies.
    await Promise.all(Array.from({ length: 8 }, () => stack.createMatch()));
    await stack.temporal!.stop();
    await new Promise((resolve) => setTimeout(resolve, 60_000));
    await stack.temporal!.start();
    const match = await eventually(
      async () => {
        const res = await stack.api.request('POST', '/matches', matchRequest(stack.programId));
        if (res.status !== 201) throw new Error(`POST /matches: ${res.status}`);
        return res.body.match as { host: { email: string } };
      },
      { timeoutMs: 60_000 },
    );
    await stack.smtp.waitFor(1, {
      filter: (e) => e.to === match.host.email && template(e) === 'match-opened',
      timeoutMs: 60_000,
    });
  }, 240_000);
});
