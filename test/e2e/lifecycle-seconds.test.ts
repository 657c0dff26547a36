import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { driveLifecycle, SECONDS_PLAYBOOK } from '../../dev/demo';
import { matchIdFor } from '../../workflows/shared';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { unique } from '../support/fixtures';
import { request } from '../support/http';
import { keyHeaders } from '../support/keys';
import { startApiAndWorker, type RunningProcess } from '../support/processes';
import { startSmtpListener, type SmtpListener } from '../support/smtp';
import { createDevServerEnv, testProcessEnv } from '../support/temporal';

/**
 * A whole match in about a minute and a half on the real stack (API and worker as processes, the dev server,
 * Postgres, SMTP): a playbook in seconds, a term that ends soon, people doing their part through the API and the
 * check-in pages. This is what `npx tsx dev/demo.ts` shows against `./dev/start`.
 */
describe('end to end: a match through every phase in seconds', () => {
  let env: TestWorkflowEnvironment;
  let database: TestDatabase;
  let smtp: SmtpListener;
  const processes: RunningProcess[] = [];
  const port = 20000 + Math.floor(Math.random() * 20000);
  const apiUrl = `http://127.0.0.1:${port}`;

  let admin: Record<string, string>;
  beforeAll(async () => {
    [env, database, smtp] = await Promise.all([createDevServerEnv(), createTestDatabase(), startSmtpListener()]);
    admin = await keyHeaders(database.db, 'admin');
    const processEnv = {
      TEMPORAL_ADDRESS: env.address,
      ...testProcessEnv(),
      TASK_QUEUE: unique('seconds'),
      DATABASE_URL: database.url,
      SMTP_URL: smtp.url,
      MAIL_FROM: 'bansou <noreply@bansou.test>',
      PUBLIC_BASE_URL: apiUrl,
      SIGNING_SECRET: 'e2e-seconds-signing-secret-0123456789abcdef',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    };
    processes.push(...(await startApiAndWorker(processEnv)));
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await Promise.all([env?.teardown(), database?.drop(), smtp?.close()]);
  });

  it('goes onboarding → active → wrap-up → closed (completed), continuing as new on the way', async () => {
    expect(
      (await request(apiUrl, 'POST', '/programs', { id: 'seconds', name: '秒単位プログラム' }, admin)).status,
    ).toBe(201);
    expect((await request(apiUrl, 'PUT', '/programs/seconds/playbook', SECONDS_PLAYBOOK, admin)).status).toBe(200);
    const matchId = matchIdFor('seconds', unique('sec'));
    const result = await driveLifecycle({
      apiUrl,
      programId: 'seconds',
      matchId,
      termSeconds: 75,
      headers: admin,
      emails: async () =>
        smtp.received.map((e) => ({
          to: e.to,
          template: String(e.mail.headers.get('x-bansou-template')),
          text: e.mail.text ?? '',
        })),
    });
    expect(result).toMatchObject({ phases: ['onboarding', 'active', 'wrap_up', 'closed'], outcome: 'completed' });
    expect(result.rounds).toBeGreaterThanOrEqual(5);

    const detail = await request(apiUrl, 'GET', `/matches/${matchId}`, undefined, admin);
    expect(detail.body.match).toMatchObject({ status: 'completed', phase: 'closed' });
    // The whole timeline, page by page (the detail shows only the latest events).
    const types: string[] = [];
    for (let cursor = ''; ;) {
      const page = await request(apiUrl, 'GET', `/matches/${matchId}/timeline?limit=50${cursor}`, undefined, admin);
      types.push(...page.body.items.map((e: { type: string }) => e.type));
      if (!page.body.nextCursor) break;
      cursor = `&cursor=${page.body.nextCursor}`;
    }
    expect(types).toEqual(
      expect.arrayContaining([
        'match.opened',
        'kickoff.held',
        'checkin.opened',
        'checkin.closed',
        'workflow.continued',
        'match.closed',
      ]),
    );
    expect(detail.body.checkins.every((r: { host: unknown; talent: unknown }) => r.host && r.talent)).toBe(true);

    // The Temporal UI can filter on it: its search attributes say completed.
    const description = await env.client.workflow.getHandle(`match:${matchId}`).describe();
    expect(description.searchAttributes).toMatchObject({ BansouStatus: ['completed'], BansouRisk: ['closed'] });
    const templates = new Set(smtp.received.map((e) => String(e.mail.headers.get('x-bansou-template'))));
    for (const t of [
      'match-opened',
      'kickoff-confirmed',
      'kickoff-reminder',
      'checkin-request',
      'closeout-survey',
      'task-reminder',
    ]) {
      expect(templates).toContain(t);
    }
  });
});
