import { createApp } from '../../api/app';
import { API_KEY_CACHE_MS } from '../../api/auth';
import { RETRY_AFTER_SECONDS } from '../../api/errors';
import type { RouteDef } from '../../api/routing';
import { startAnswerRelay } from '../../api/services/checkins';
import { addNoteUpdate, matchWorkflowId } from '../../workflows/shared';
import { healthyAnswers } from '../support/answers';
import { eventually } from '../support/eventually';
import { captureLog } from '../support/logs';
import { hiddenFields, pagesAwaitingAnswers, postForm } from '../support/outage';
import { createDevStack, type DevStack } from '../support/stack';

describe('Postgres down: a real Postgres behind a proxy the test cuts and restores', () => {
  let stack: DevStack;
  const api = captureLog('api');
  const relay = captureLog('api');
  let stopRelay: (() => void) | undefined;

  beforeAll(async () => {
    stack = await createDevStack({ cuttablePostgres: true, log: api.log });
    // The API process runs the relay of saved answers on the same database connection.
    stopRelay = startAnswerRelay(stack.deps.db, stack.env.client, {
      intervalMs: 300,
      log: relay.log,
    });
  });
  afterAll(async () => {
    stopRelay?.();
    await stack?.postgres?.restore();
    await stack?.close();
  });

  it('every route answers 503 with Retry-After (problem+json, or a page that keeps the answer), and all recovers by itself', async () => {
    // Before the outage: match A has check-in 1 open for the host (ja); match B proposed kickoff slots (talent: en).
    const { a, checkinLink, checkinForm, kickoffLink, kickoffForm } = await pagesAwaitingAnswers(stack);
    expect(checkinForm).toMatchObject({ lang: 'ja', csrf: expect.any(String) });
    expect(kickoffForm).toMatchObject({ lang: 'en' });

    const defs = createApp(stack.deps).locals.routeDefs as RouteDef<never, never, never>[];
    const sample = (path: string) =>
      path.replace(/:(\w+)/g, (_, name: string) =>
        name === 'id'
          ? path.startsWith('/programs')
            ? stack.programId
            : path.startsWith('/matches')
              ? a.id
              : 'esc-1'
          : name === 'type'
            ? 'outsourcing_contract'
            : 'kickoff_prep',
      );
    const hostAnswer = {
      ...checkinForm,
      satisfaction: '2',
      working_style: '3',
      remote_tools: '3',
      priority: '4',
      expectation: '4',
      task_clarity: '3',
      contract_admin: '5',
      comment: 'ツールの使い方に慣れてきた <3',
    };

    await stack.postgres!.cut();
    // A key looked up in the last API_KEY_CACHE_MS needs no database (a bad body is then its 400); past that, every
    // keyed request does, from its first on.
    await new Promise((resolve) => setTimeout(resolve, API_KEY_CACHE_MS + 50));
    let notSavedCheckin: Record<string, string>;
    let notSavedKickoff: Record<string, string>;
    try {
      // Every JSON route that needs a key: 503 problem+json with Retry-After, the same from the first request on.
      const keyed = defs.filter((d) => d.access !== 'public');
      expect(keyed.length).toBeGreaterThan(25);
      for (const def of keyed) {
        const csv = def.bodyContentType === 'text/csv';
        const res = await stack.api.request(
          def.method.toUpperCase(),
          sample(def.path),
          def.method === 'get' ? undefined : csv ? 'id\n' : {},
          csv ? { 'content-type': 'text/csv' } : {},
        );
        const what = `${def.method.toUpperCase()} ${def.path}`;
        expect([what, res.status]).toEqual([what, 503]);
        expect([what, res.headers.get('retry-after')]).toEqual([what, String(RETRY_AFTER_SECONDS)]);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ status: 503, type: '/docs#problem-unavailable' });
        expect(res.body.detail).toMatch(/database/);
        expect(res.text).not.toMatch(/\bat .*:\d+:\d+|Prisma|ECONN/);
      }
      // /healthz names Postgres; the documents need no database.
      const health = await stack.api.request('GET', '/healthz');
      expect(health.status).toBe(503);
      expect(health.headers.get('retry-after')).toBeTruthy();
      expect(health.body.down).toEqual(['postgres']);
      expect((await stack.api.request('GET', '/openapi.json')).status).toBe(200);

      // Opening a page: "try again in a minute", with Retry-After.
      for (const link of [checkinLink, kickoffLink]) {
        const page = await stack.api.request('GET', link);
        expect(page.status).toBe(503);
        expect(page.headers.get('retry-after')).toBe(String(RETRY_AFTER_SECONDS));
        expect(page.text).toContain('1分ほど待ってから');
      }

      // Sending a page: in the language the form was shown in, "not saved", with everything typed kept in the form.
      const checkin = await postForm(stack, checkinLink, hostAnswer);
      expect(checkin.status).toBe(503);
      expect(checkin.headers.get('retry-after')).toBe(String(RETRY_AFTER_SECONDS));
      expect(checkin.text).toContain('<html lang="ja">');
      expect(checkin.text).toContain('回答はまだ保存されていません');
      expect(checkin.text).toContain('ツールの使い方に慣れてきた &lt;3');
      expect(checkin.text).toContain(`action="${checkinLink}"`);
      notSavedCheckin = hiddenFields(checkin.text);
      expect(notSavedCheckin).toEqual(hostAnswer);

      const kickoff = await postForm(stack, kickoffLink, { ...kickoffForm, choice: '0', note: 'Mornings suit me' });
      expect(kickoff.status).toBe(503);
      expect(kickoff.text).toContain('<html lang="en">');
      expect(kickoff.text).toContain('Your answer has not been saved');
      expect(kickoff.text).toContain('Mornings suit me');
      notSavedKickoff = hiddenFields(kickoff.text);

      // Meanwhile the workflow takes a coordinator's note (Temporal is up); writing it to the read model waits.
      await stack.env.client.workflow
        .getHandle(matchWorkflowId(a.id))
        .executeUpdate(addNoteUpdate, { args: [{ text: '障害中に記録したメモ', sentiment: 3 }] });
      // And an answer saved just before the outage, not yet delivered, waits in the relay (which keeps trying).
      await stack.database.db.checkinAnswer.create({
        data: {
          matchId: a.id,
          round: 1,
          respondent: 'talent',
          answers: healthyAnswers(),
        },
      });
      await eventually(() =>
        relay.lines.some((l) => l.msg === 'answer relay failed; will retry' && l.level === 'warn'),
      );
    } finally {
      await stack.postgres!.restore();
    }

    // Back, with nothing restarted: reads, registrations, actions and the pages work again.
    expect((await stack.api.request('GET', '/matches')).status).toBe(200);
    expect((await stack.api.request('GET', `/matches/${a.id}`)).status).toBe(200);
    expect((await stack.api.request('GET', '/escalations')).status).toBe(200);
    expect((await stack.createMatch()).id).toBeTruthy();
    expect((await stack.api.request('POST', `/matches/${a.id}/notes`, { text: '復旧後のメモ' })).status).toBe(200);

    // "Send again" on the kept pages saves the answers as typed.
    const resent = await postForm(stack, checkinLink, notSavedCheckin!);
    expect(resent.status).toBe(200);
    expect(resent.text).toContain('ご回答ありがとうございました');
    const saved = await stack.database.db.checkinAnswer.findUniqueOrThrow({
      where: { matchId_round_respondent: { matchId: a.id, round: 1, respondent: 'host' } },
    });
    expect(saved.answers).toMatchObject({ scores: { satisfaction: 2 }, comment: 'ツールの使い方に慣れてきた <3' });
    const kickoffResent = await postForm(stack, kickoffLink, notSavedKickoff!);
    expect(kickoffResent.status).toBe(200);
    expect(kickoffResent.text).toContain('Thank you for your answer');

    // The worker's read-model writes catch up, and the relay delivers the waiting answer.
    await eventually(
      async () => {
        const timeline = (await stack.api.request('GET', `/matches/${a.id}/timeline`)).body.items;
        return timeline.some((e: { payload: { text?: string } }) => e.payload.text === '障害中に記録したメモ');
      },
      { timeoutMs: 60_000 },
    );
    await eventually(async () => Boolean((await stack.state(a.id)).checkins.current?.answers.talent));
    await eventually(async () =>
      Boolean(
        (
          await stack.database.db.checkinAnswer.findUniqueOrThrow({
            where: { matchId_round_respondent: { matchId: a.id, round: 1, respondent: 'talent' } },
          })
        ).signalledAt,
      ),
    );
    await eventually(async () => (await stack.api.request('GET', '/healthz')).status === 200, { timeoutMs: 15_000 });

    // Said to the callers, logged in one line each: no unhandled errors, no stack traces.
    expect(api.lines.filter((l) => /unhandled|page error/.test(l.msg))).toEqual([]);
    expect(api.lines.filter((l) => l.level === 'error')).toEqual([]);
    const unavailable = api.lines.filter((l) => l.msg === 'dependency unavailable');
    expect(unavailable.length).toBeGreaterThan(0);
    expect(unavailable.every((l) => l.level === 'warn' && typeof l.requestId === 'string')).toBe(true);
    expect(api.raw.filter((l) => /\\n\s+at /.test(l))).toEqual([]);
  });
});
