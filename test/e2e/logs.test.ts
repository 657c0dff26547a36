import { signLink } from '../../activities/links';
import { csrfFor } from '../../api/pages/render';
import { temporalLogger } from '../../telemetry/log';
import { matchWorkflowId } from '../../workflows/shared';
import { eventually } from '../support/eventually';
import { captureLog, type LogLine } from '../support/logs';
import { createDevStack, SIGNING_SECRET, type DevStack } from '../support/stack';
import { installTestRuntime } from '../support/temporal';

/**
 * The logs of the real flows (API and worker: requests, pages, workflows, activities, a rejected email, a broken
 * request) carry the ids of what they are about, at the right levels, and never a person's data or a credential.
 */
describe('logs: ids on every line, no personal data, no link tokens (dev server, real Postgres and SMTP)', () => {
  const api = captureLog('api');
  const worker = captureLog('worker');
  let stack: DevStack;

  beforeAll(async () => {
    // The workers' lines (SDK, workflows, activities) go to the logger the worker process installs.
    installTestRuntime(temporalLogger(worker.log));
    stack = await createDevStack({ log: api.log, smtp: { rejectRecipients: (a) => a.startsWith('gone.') } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const postForm = (path: string, fields: Record<string, string>) =>
    fetch(`${stack.api.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: csrfFor(SIGNING_SECRET, path.split('/').pop()!), ...fields }).toString(),
    });

  it('drives a match, answers, a note, a rejected email and bad requests; every line is clean', async () => {
    const secrets = new Set<string>();
    const keep = (...values: string[]) => values.forEach((v) => secrets.add(v));

    // A match whose people get their emails; the host and the talent answer with words of their own.
    const match = await stack.createMatch();
    keep(match.host.email, match.talent.email, match.coordinator.email, match.host.name, match.talent.name);
    keep(match.coordinator.name);
    const { host, talent } = await stack.openFirstCheckin(match.id);
    const hostLink = stack.linkIn(host, 'checkins');
    const talentLink = stack.linkIn(talent, 'checkins');
    keep(hostLink.split('/').pop()!, talentLink.split('/').pop()!);
    expect((await stack.api.request('GET', `${hostLink}?satisfaction=2`)).status).toBe(200);
    const hostWords = 'ツールの使い方に慣れてきたが、先方の決裁が遅い';
    const talentWords = 'The owner answers late at night; I feel a little lost';
    keep(hostWords, talentWords);
    const answer = (link: string, comment: string) =>
      postForm(link, {
        satisfaction: '2',
        working_style: '3',
        remote_tools: '3',
        priority: '5',
        expectation: '2',
        task_clarity: '3',
        contract_admin: '4',
        comment,
        wantsCoordinator: 'yes',
      });
    expect((await answer(hostLink, hostWords)).status).toBe(200);
    expect((await answer(talentLink, talentWords)).status).toBe(200);

    // The coordinator's note, through the API with an admin key.
    const note = '先方の社長と面談。報酬の話で少し揉めている';
    keep(note, stack.adminHeaders.authorization!.replace(/^Bearer /, ''));
    expect((await stack.api.request('POST', `/matches/${match.id}/notes`, { text: note, sentiment: 2 })).status).toBe(
      200,
    );

    // A match whose talent's mailbox does not exist: the server's refusal names the address.
    const gone = await stack.createMatch({
      talent: { name: '佐藤 二郎', email: `gone.talent.${Date.now()}@example.com`, locale: 'ja' },
    });
    keep(gone.talent.email, gone.talent.name);
    await eventually(
      async () => (await stack.database.db.matchEvent.count({ where: { matchId: gone.id, type: 'email.failed' } })) > 0,
      { timeoutMs: 30_000 },
    );

    // Requests that fail: an invalid body naming people, a forged link, a link that has expired.
    const bad = await stack.api.request('POST', '/matches', {
      ...match,
      id: `${match.id}-bad`,
      host: { name: '高橋 一', email: 'takahashi-at-tosa.example', locale: 'ja' },
    });
    expect(bad.status).toBe(400);
    keep('高橋 一', 'takahashi-at-tosa.example');
    const expired = signLink(SIGNING_SECRET, {
      kind: 'checkin',
      matchId: match.id,
      n: 1,
      respondent: 'host',
      expiresAt: Date.now() - 1000,
    });
    keep(expired);
    expect((await stack.api.request('GET', `/checkins/${expired}`)).status).toBe(410);
    expect((await stack.api.request('GET', `/checkins/${expired.slice(0, -4)}AAAA`)).status).toBe(404);

    // Everything after the answers reached the workflow and the read model was written.
    await eventually(async () => {
      const s = await stack.state(match.id);
      return Boolean(s.checkins.current?.answers.host && s.checkins.current?.answers.talent);
    });
    await eventually(() => worker.lines.some((l) => l.msg === 'email not accepted'));

    const lines: LogLine[] = [...api.lines, ...worker.lines];
    const raw = [...api.raw, ...worker.raw].join('');
    expect(lines.length).toBeGreaterThan(20);
    for (const secret of secrets) {
      if (raw.includes(secret)) throw new Error(`a log line holds "${secret}"`);
    }
    // Nothing shaped like an address either (the mail's own Message-IDs are hashes, not people).
    expect(raw.match(/[\w.+-]+@example\.(jp|com)/g) ?? []).toEqual([]);
    expect(raw).not.toMatch(/\/checkins\/[A-Za-z0-9_-]{8,}/);

    // Each line says what it is about.
    const requests = api.lines.filter((l) => l.msg === 'request');
    expect(requests.length).toBeGreaterThan(5);
    expect(requests.every((l) => typeof l.requestId === 'string' && typeof l.route === 'string')).toBe(true);
    expect(requests.find((l) => l.route === '/matches/:id/notes')).toMatchObject({ matchId: match.id, status: 200 });
    const sent = worker.lines.filter((l) => l.msg === 'email sent');
    expect(sent.length).toBeGreaterThan(3);
    for (const line of sent) {
      expect(line).toMatchObject({ activityType: 'sendEmail', workflowId: expect.stringMatching(/^match:/) });
      expect(line.matchId).toBe(String(line.workflowId).slice('match:'.length));
    }
    const refused = worker.lines.find((l) => l.msg === 'email not sent');
    expect(refused).toMatchObject({
      level: 'warn',
      sdkComponent: 'workflow',
      workflowId: matchWorkflowId(gone.id),
      matchId: gone.id,
      runId: expect.any(String),
    });
    const notAccepted = worker.lines.find((l) => l.msg === 'email not accepted');
    expect(notAccepted).toMatchObject({ level: 'warn', failure: 'rejected', said: expect.stringContaining('[email]') });

    // Levels: none of this is an error of bansou's (a refused mailbox, a bad request, an expired link).
    expect(lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
  });
});
