import { matchIdFor } from '../../workflows/shared';
import { eventually } from '../support/eventually';
import { escalationRow, matchRequest, unique } from '../support/fixtures';
import { keyHeaders } from '../support/keys';
import { createDevStack, type DevStack } from '../support/stack';
import { csrfIn, postForms, signedInClient, type WebClient } from '../support/web-client';

/**
 * One authorization layer for API keys and people signed in: the same roles, the same programs, the same answers.
 * Each row of the matrix is asked twice, once of the JSON API with a key and once of the workspace with a session,
 * and both must give the same verdict. Then: nothing of program B by URL for program A's people, and no form without
 * its CSRF value.
 */
type Who = 'admin' | 'pmA' | 'coordA' | 'coordB';
const WHO: Who[] = ['admin', 'pmA', 'coordA', 'coordB'];

describe('workspace access: one authorization layer for keys and sessions', () => {
  let stack: DevStack;
  let programB: string;
  let matchA: string;
  let matchB: string;
  let escalationA: string;
  let escalationB: string;
  const keys = {} as Record<Who, Record<string, string>>;
  const people = {} as Record<Who, WebClient>;

  beforeAll(async () => {
    stack = await createDevStack();
    const db = stack.database.db;
    programB = unique('prog-b').toLowerCase();
    const pmA = `pm.${unique('a')}@pref.example.jp`;
    await stack.api.request('POST', '/programs', { id: programB, name: 'プログラムB' });
    // Program A's manager is registered as its program manager (the stack's program has none yet).
    const person = await db.person.create({
      data: { programId: stack.programId, email: pmA, name: '事務局 A', role: 'program_manager' },
    });
    await db.programManager.create({ data: { programId: stack.programId, personId: person.id } });
    const a = await stack.createMatch();
    matchA = a.id;
    const b = matchRequest(programB);
    expect((await stack.api.request('POST', '/matches', b)).status).toBe(201);
    matchB = matchIdFor(programB, b.id);
    escalationA = `${matchA}-esc-a`;
    escalationB = `${matchB}-esc-b`;
    await db.escalation.createMany({
      data: [
        escalationRow(matchA, { id: escalationA, type: 'wants_coordinator', evidence: { round: 1, sides: ['host'] } }),
        escalationRow(matchB, {
          id: escalationB,
          type: 'wants_coordinator',
          evidence: { round: 1, sides: ['talent'] },
        }),
      ],
    });
    const adminEmail = `admin.${unique('x')}@npo.example.jp`;
    await db.account.create({ data: { email: adminEmail, admin: true, markedBy: 'test' } });

    keys.admin = stack.adminHeaders;
    keys.pmA = await keyHeaders(db, 'program_manager', [stack.programId]);
    keys.coordA = await keyHeaders(db, 'coordinator', [stack.programId]);
    keys.coordB = await keyHeaders(db, 'coordinator', [programB]);
    people.admin = await signedInClient(stack, adminEmail);
    people.pmA = await signedInClient(stack, pmA);
    people.coordA = await signedInClient(stack, a.coordinator.email);
    people.coordB = await signedInClient(stack, b.coordinator.email);
  });
  afterAll(async () => {
    await stack?.close();
  });

  const ok = (status: number) => status < 400;

  /** Each operation, through the API with a key and through the workspace with a session. */
  const matrix: {
    name: string;
    api: (h: Record<string, string>) => Promise<{ status: number }>;
    page: (c: WebClient) => Promise<{ status: number }>;
    allowed: Who[];
  }[] = [
    {
      name: "read program A's match",
      api: (h) => stack.api.request('GET', `/matches/${matchA}`, undefined, h),
      page: (c) => c.get(`/workspace/matches/${matchA}`),
      allowed: ['admin', 'pmA', 'coordA'],
    },
    {
      name: "read program B's match",
      api: (h) => stack.api.request('GET', `/matches/${matchB}`, undefined, h),
      page: (c) => c.get(`/workspace/matches/${matchB}`),
      allowed: ['admin', 'coordB'],
    },
    {
      name: "list program A's matches",
      api: (h) => stack.api.request('GET', `/matches?program=${stack.programId}`, undefined, h),
      page: (c) => c.get(`/workspace/matches?program=${stack.programId}`),
      allowed: ['admin', 'pmA', 'coordA'],
    },
    {
      name: "read program B's KPIs, or download them as Excel",
      api: (h) => stack.api.request('GET', `/programs/${programB}/kpis`, undefined, h),
      page: (c) => c.get(`/workspace/programs/${programB}/kpis.xlsx`),
      allowed: ['admin', 'coordB'],
    },
    {
      name: "add a note to program A's match",
      api: (h) => stack.api.request('POST', `/matches/${matchA}/notes`, { text: 'API のメモ' }, h),
      page: (c) =>
        c.submit(`/workspace/matches/${matchA}`, `/workspace/matches/${matchA}/notes`, { text: '画面のメモ' }),
      allowed: ['admin', 'coordA'],
    },
    {
      name: "acknowledge program B's escalation",
      // The seeded row is unknown to B's workflow: allowed means the workflow's own 422, refused means 403.
      api: (h) => stack.api.request('POST', `/escalations/${escalationB}/ack`, {}, h),
      page: (c) => c.submit(`/workspace/matches/${matchB}`, `/workspace/escalations/${escalationB}/ack`),
      allowed: ['admin', 'coordB'],
    },
  ];

  it.each(matrix.map((m) => [m.name, m] as const))('%s: the same verdict for keys and sessions', async (_n, row) => {
    const verdicts: Record<string, { key: boolean; session: boolean }> = {};
    const want: Record<string, { key: boolean; session: boolean }> = {};
    for (const who of WHO) {
      const key = await row.api(keys[who]);
      const page = await row.page(people[who]);
      verdicts[who] = { key: key.status !== 403, session: page.status !== 403 };
      want[who] = { key: row.allowed.includes(who), session: row.allowed.includes(who) };
      if (row.allowed.includes(who)) expect(ok(page.status) || page.status === 422).toBe(true);
    }
    expect(verdicts).toEqual(want);
  });

  it('records who took each action on the timeline: the person signed in, or the API key by its name', async () => {
    const key = await keyHeaders(stack.database.db, 'coordinator', [stack.programId]);
    expect((await stack.api.request('POST', `/matches/${matchA}/notes`, { text: 'キーから' }, key)).status).toBe(200);
    await people.coordA.submit(`/workspace/matches/${matchA}`, `/workspace/matches/${matchA}/notes`, {
      text: '画面から',
    });
    const notes = await eventually(async () => {
      const rows = await stack.database.db.matchEvent.findMany({ where: { matchId: matchA, type: 'note.added' } });
      const texts = rows.map((r) => (r.payload as { text: string }).text);
      return texts.includes('キーから') && texts.includes('画面から') ? rows : null;
    });
    const by = (text: string) =>
      (notes!.find((r) => (r.payload as { text: string }).text === text)!.payload as { by: unknown }).by;
    expect(by('キーから')).toMatchObject({ kind: 'api_key', name: expect.stringMatching(/^coordinator-/) });
    expect(by('画面から')).toEqual({ kind: 'account', id: expect.stringMatching(/^coord\./), name: '鈴木 一郎' });
    // The match page says who wrote each note.
    expect((await people.coordA.get(`/workspace/matches/${matchA}`)).text).toContain('鈴木 一郎');
  });

  it("says why the workflow refused, or what was wrong with the form, in the person's language", async () => {
    const c = people.coordA;
    const page = `/workspace/matches/${matchA}`;
    const refused = await c.submit(page, `${page}/resume`);
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('この操作はできませんでした: このマッチングは一時停止していません。');
    const invalid = await c.submit(page, `${page}/pause`, { reason: '   ' });
    expect(invalid.status).toBe(400);
    expect(invalid.text).toContain('入力内容を確認してください（理由: 空欄にはできません）。');
    // The JSON API keeps the workflow's own (English) words.
    const api = await stack.api.request('POST', `/matches/${matchA}/resume`, {});
    expect([api.status, api.body.detail]).toEqual([409, 'the match is not paused']);
  });

  it("program A's coordinator learns nothing of program B by URL: pages, actions, lists and Today", async () => {
    const c = people.coordA;
    const other = await c.get(`/workspace/matches/${matchB}`);
    const missing = await c.get('/workspace/matches/no-such-match');
    expect(other.status).toBe(403);
    // The same page, but for the address it was asked at (the language switch comes back to it).
    const page = (html: string) => html.replace(/name="back" value="[^"]*"/g, '');
    expect(page(other.text)).toBe(page(missing.text));
    expect(page(other.text)).not.toContain(matchB);
    const before = await stack.database.db.matchEvent.count({ where: { matchId: matchB } });
    const csrf = csrfIn((await c.get('/workspace')).text);
    for (const action of ['notes', 'pause', 'kickoff/cancel', 'end-early']) {
      const res = await c.post(`/workspace/matches/${matchB}/${action}`, { csrf, text: 'x', reason: 'other' });
      expect(res.status).toBe(403);
    }
    expect((await c.post(`/workspace/escalations/${escalationB}/resolve`, { csrf, note: 'x' })).status).toBe(403);
    expect((await c.get(`/workspace/matches?program=${programB}`)).status).toBe(403);
    expect(await stack.database.db.matchEvent.count({ where: { matchId: matchB } })).toBe(before);

    const today = await c.get('/workspace?scope=all');
    expect(today.text).toContain(escalationA);
    expect(today.text).not.toContain(escalationB);
    const programs = await c.get('/workspace/programs');
    expect(programs.text).toContain(`/workspace/programs/${stack.programId}`);
    expect(programs.text).not.toContain(programB);
    expect((await c.get(`/workspace/programs/${stack.programId}`)).text).toContain('完遂率');
    expect((await c.get(`/workspace/programs/${programB}`)).status).toBe(403);
    const list = await c.get('/workspace/matches?limit=200');
    expect(list.text).toContain(matchA);
    expect(list.text).not.toContain(matchB);
  });

  it('every form on Today and on a match page is refused without its CSRF value, and changes nothing', async () => {
    const c = people.coordA;
    const pages = ['/workspace', `/workspace/matches/${matchA}`, '/workspace/matches'];
    const forms = (await Promise.all(pages.map(async (p) => postForms((await c.get(p)).text)))).flat();
    const actions = new Set(forms.map((f) => f.action.replace(/\/[^/]*esc[^/]*\//, '/:esc/')));
    // The match page alone has the escalation, kickoff, note and management forms.
    expect(actions.size).toBeGreaterThanOrEqual(8);
    const events = () => stack.database.db.matchEvent.count({ where: { matchId: matchA } });
    const before = await events();
    const foreign = csrfIn((await people.admin.get('/workspace')).text);
    for (const form of forms) {
      const { csrf: _csrf, ...fields } = form.fields;
      expect([form.action, (await c.post(form.action, fields)).status]).toEqual([form.action, 403]);
      expect([form.action, (await c.post(form.action, { ...fields, csrf: foreign })).status]).toEqual([
        form.action,
        403,
      ]);
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(await events()).toBe(before);
    expect((await c.get('/workspace')).status).toBe(200);
  });
});
