import { csrfFor } from '../../api/pages/render';
import { SCALE_QUESTIONS } from '../../workflows/checkin-questions';
import { unique } from '../support/fixtures';
import { createDevStack, SIGNING_SECRET, type DevStack } from '../support/stack';

/**
 * Text nobody should type, typed anyway: line breaks where one line is meant (Excel's Alt+Enter), NUL and other
 * control characters, LIKE wildcards. Each is stored normalised or refused with a 400 naming the field; none is a 500
 * or a silent loss.
 */
describe('bad input at the edge (API, pages, CSV)', () => {
  let stack: DevStack;
  let matchId: string;
  beforeAll(async () => {
    stack = await createDevStack();
    matchId = (await stack.createMatch()).id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  const fieldsOf = (body: { errors?: { field: string }[] }) => (body.errors ?? []).map((e) => e.field);

  it('a title and names with line breaks are stored on one line, and every opening email goes out', async () => {
    const body = await stack.createMatch({
      title: 'EC 販路\r\n開拓\t（第2期）',
      region: '長野県\n北信',
      coordinator: { name: '鈴木\n一郎', email: `${unique('c')}@x.jp`, locale: 'ja' },
    });
    const stored = await stack.api.request('GET', `/matches/${body.id}`);
    expect(stored.body.match).toMatchObject({
      title: 'EC 販路 開拓 （第2期）',
      region: '長野県 北信',
      coordinator: { name: '鈴木 一郎' },
    });
    const opened = await stack.smtp.waitFor(3, {
      filter: (e) => e.mail.headers.get('x-bansou-template') === 'match-opened' && e.subject.includes('（第2期）'),
    });
    for (const email of opened) expect(email.subject).toMatch(/[「"]EC 販路 開拓 （第2期）[」"]/);
  });

  it('a program name with a line break is stored on one line', async () => {
    const id = unique('nl').toLowerCase();
    const res = await stack.api.request('POST', '/programs', { id, name: 'ふるさと兼業\r\n長野' });
    expect(res.status).toBe(201);
    expect(res.body.program.name).toBe('ふるさと兼業 長野');
  });

  it.each([
    ['POST /matches title', () => stack.api.request('POST', '/matches', { title: 'a\u0000' }), 'title'],
    [
      'POST /matches host.name',
      () =>
        stack.api.request('POST', '/matches', {
          host: { name: '山田\u0000', email: 'h@x.jp', organization: 'x' },
        }),
      'host.name',
    ],
    ['POST /matches id', () => stack.api.request('POST', '/matches', { id: 'a\u0000b' }), 'id'],
    ['POST /matches programId', () => stack.api.request('POST', '/matches', { programId: '\u0000' }), 'programId'],
    ['POST /programs name', () => stack.api.request('POST', '/programs', { id: 'nul', name: 'x\u0000' }), 'name'],
    ['POST /api-keys name', () => stack.api.request('POST', '/api-keys', { name: 'k\u0000', role: 'admin' }), 'name'],
    ['GET /matches?q=', () => stack.api.request('GET', '/matches?q=%00'), 'q'],
    ['GET /matches?program=', () => stack.api.request('GET', '/matches?program=%00'), 'program'],
    ['GET /matches?coordinator=', () => stack.api.request('GET', '/matches?coordinator=a%00'), 'coordinator'],
    ['GET /matches?cursor=', () => stack.api.request('GET', '/matches?cursor=%01'), 'cursor'],
    ['GET /escalations?program=', () => stack.api.request('GET', '/escalations?program=%00'), 'program'],
    ['GET kpis?region=', () => stack.api.request('GET', `/programs/${stack.programId}/kpis?region=%00`), 'region'],
    ['POST note text', () => stack.api.request('POST', `/matches/${matchId}/notes`, { text: 'メモ\u0000' }), 'text'],
    [
      'POST pause reason (DEL)',
      () => stack.api.request('POST', `/matches/${matchId}/pause`, { reason: 'x\u007f' }),
      'reason',
    ],
    ['POST escalation ack, id', () => stack.api.request('POST', '/escalations/%00/ack', {}), 'id'],
    ['POST task done, taskId', () => stack.api.request('POST', `/matches/${matchId}/tasks/%00/done`, {}), 'taskId'],
  ])('%s with a control character: 400 naming the field', async (_name, call, field) => {
    const res = await call();
    expect(res.status).toBe(400);
    expect(fieldsOf(res.body)).toContain(field);
    expect(res.body.errors.find((e: { field: string }) => e.field === field).message).toMatch(
      /control characters|is not a match id|must be/,
    );
  });

  it('a check-in comment with NUL is refused on the page, in the person’s language, and nothing is saved', async () => {
    const { host } = await stack.openFirstCheckin(matchId);
    const link = stack.linkIn(host, 'checkins');
    const token = link.split('/').pop()!;
    const scores = Object.fromEntries(SCALE_QUESTIONS.map((q) => [q, '4']));
    const form = new URLSearchParams({ csrf: csrfFor(SIGNING_SECRET, token), ...scores, comment: '順調です\u0000' });
    const posted = await fetch(`${stack.api.url}${link}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const text = await posted.text();
    expect({ status: posted.status, saved: text.includes('使えない文字') }).toEqual({ status: 400, saved: true });
    expect(await stack.database.db.checkinAnswer.count({ where: { matchId } })).toBe(0);
  });

  it('q= finds % and _ literally, not as wildcards', async () => {
    const percent = await stack.createMatch({ title: `達成率100%の${unique('pct')}` });
    const underscore = await stack.createMatch({ title: `snake_case ${unique('us')}` });
    const ids = async (q: string) =>
      (await stack.api.request('GET', `/matches?limit=100&q=${encodeURIComponent(q)}`)).body.items.map(
        (m: { id: string }) => m.id,
      );
    expect(await ids('%')).toEqual([percent.id]);
    expect(await ids('_')).toEqual([underscore.id]);
    expect(await ids('100%の')).toEqual([percent.id]);
    expect(await ids('\\')).toEqual([]);
  });
});
