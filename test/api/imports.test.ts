import { matchIdFor, matchWorkflowId } from '../../workflows/shared';
import { ZCreateMatchRequest } from '../../api/services/matches';
import { storeMatch } from '../../api/services/registration';
import { eventually } from '../support/eventually';
import { matchDates, matchRequest, unique } from '../support/fixtures';
import { createDevStack, type DevStack } from '../support/stack';

/** Encodes text as Shift_JIS (what Excel in Japan saves) with the platform's ICU. */
function shiftJis(text: string): Buffer {
  // Node has no Shift_JIS encoder; build the table from its decoder (JIS X 0208 row by row).
  const table = new Map<string, number[]>();
  const decoder = new TextDecoder('shift_jis');
  for (let lead = 0x81; lead <= 0xfc; lead++) {
    if (lead > 0x9f && lead < 0xe0) continue;
    for (let trail = 0x40; trail <= 0xfc; trail++) {
      if (trail === 0x7f) continue;
      const ch = decoder.decode(Buffer.from([lead, trail]));
      if (ch.length === 1 && ch !== '\ufffd' && !table.has(ch)) table.set(ch, [lead, trail]);
    }
  }
  const bytes: number[] = [];
  for (const ch of text) {
    if (ch.charCodeAt(0) < 0x80) bytes.push(ch.charCodeAt(0));
    else bytes.push(...(table.get(ch) ?? [0x81, 0x48]));
  }
  return Buffer.from(bytes);
}

const post = (stack: DevStack, body: string | Uint8Array) =>
  fetch(`${stack.api.url}/imports/matches`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', ...stack.adminHeaders },
    body: typeof body === 'string' ? body : new Blob([new Uint8Array(body)]),
  }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as Record<string, unknown> & { errors?: { field: string; message: string }[] },
  }));

describe('CSV import of matches', () => {
  let stack: DevStack;
  beforeAll(async () => {
    stack = await createDevStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** The match id of a row's id: the program's own id, within the program. */
  const matchId = (reference: string) => matchIdFor(stack.programId, reference);
  const dates = matchDates();
  /** A date as Excel in Japan writes it: 2027/4/1. */
  const slashed = (isoDate: string) => isoDate.split('-').map(Number).join('/');
  const header =
    'id,program_id,title,region,start_date,end_date,host_organization,host_name,host_email,talent_name,talent_email,talent_locale,coordinator_name,coordinator_email';
  const line = (id: string, overrides: Partial<Record<string, string>> = {}) => {
    const v = {
      id,
      program_id: stack.programId,
      title: `CSV案件 ${id}`,
      region: '長野県',
      start_date: dates.startDate,
      end_date: dates.endDate,
      host_organization: '山田食品',
      host_name: '山田 花子',
      host_email: `host.${id}@example.jp`,
      talent_name: 'Alex',
      talent_email: `talent.${id}@example.com`,
      talent_locale: 'en',
      coordinator_name: '鈴木',
      coordinator_email: `coord.${id}@example.jp`,
      ...overrides,
    };
    return Object.values(v).join(',');
  };

  it('reports every bad row by row and column and starts nothing', async () => {
    const ids = [unique('ok'), unique('bad'), unique('bad'), unique('dup')];
    const csv = [
      header,
      line(ids[0]!),
      line(ids[1]!, { host_email: 'not-an-email', title: '' }),
      line(ids[2]!, { end_date: matchDates({ inDays: -30 }).startDate, talent_locale: 'fr' }),
      line(ids[0]!),
      line(ids[3]!, { program_id: 'no-such-program' }),
    ].join('\n');
    const res = await post(stack, csv);
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain('nothing was imported');
    expect(res.body.errors).toEqual([
      { field: 'row 3: title', message: expect.any(String) },
      { field: 'row 3: host_email', message: 'must be an email address' },
      { field: 'row 4: talent_locale', message: expect.any(String) },
      { field: 'row 4: end_date', message: 'must be after startDate' },
      { field: 'row 5: id', message: 'the same id as row 2' },
      { field: 'row 6: program_id', message: 'no program with this id' },
    ]);
    await expect(stack.database.db.match.count({ where: { id: { in: ids.map(matchId) } } })).resolves.toBe(0);
    await expect(stack.env.client.workflow.getHandle(matchWorkflowId(matchId(ids[0]!))).describe()).rejects.toThrow();
  });

  it('imports a Shift_JIS file with Japanese headers and 2027/4/1 dates; a re-upload starts nothing twice', async () => {
    const ids = [unique('sj'), unique('sj'), unique('sj')];
    const japanese =
      'マッチングID,プログラムID,プロジェクト名,地域,開始日,終了日,受入事業者,受入担当者,受入担当者メール,人材,人材メール,コーディネーター,コーディネーターメール';
    const rows = ids.map((id, i) =>
      [
        id,
        stack.programId,
        `観光DX 第${i + 1}期`,
        '高知県',
        slashed(dates.startDate),
        slashed(dates.endDate),
        '土佐観光',
        '高橋 一',
        `h.${id}@example.jp`,
        '佐藤 二郎',
        `t.${id}@example.jp`,
        '鈴木 一郎',
        `c.${id}@example.jp`,
      ].join(','),
    );
    const file = shiftJis(`${[japanese, ...rows].join('\r\n')}\r\n`);
    expect(file.toString('utf8')).not.toContain('観光'); // really not UTF-8

    const first = await post(stack, file);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ total: 3, created: ids.map(matchId), existing: [] });
    const stored = await stack.database.db.match.findMany({
      where: { id: { in: ids.map(matchId) } },
      orderBy: { id: 'asc' },
      include: { host: true },
    });
    expect(
      stored.map((m) => [
        m.title.startsWith('観光DX'),
        m.region,
        m.startDate.toISOString().slice(0, 10),
        m.host.organization,
      ]),
    ).toEqual(ids.map(() => [true, '高知県', dates.startDate, '土佐観光']));
    await eventually(
      async () =>
        (await stack.env.client.workflow.getHandle(matchWorkflowId(matchId(ids[2]!))).describe()).status.name ===
        'RUNNING',
    );

    const again = await post(stack, file);
    expect(again.body).toEqual({ total: 3, created: [], existing: ids.map(matchId) });
    await expect(stack.database.db.match.count({ where: { id: { in: ids.map(matchId) } } })).resolves.toBe(3);

    // The same id with other content is not the same match: refused, nothing imported.
    const conflicting = await post(
      stack,
      [header, line(ids[0]!, { title: '別の案件' }), line(unique('new'))].join('\n'),
    );
    expect(conflicting.status).toBe(400);
    expect(conflicting.body.errors).toEqual([{ field: 'row 2: id', message: 'already used by a different match' }]);
  });

  it('finds a match stored before ids were per program by its own id: a re-upload starts nothing; another program may use it', async () => {
    const reference = unique('legacy');
    // Stored as it was then: the program's own id alone is the match id (no workflow is needed for what is checked).
    const request = ZCreateMatchRequest.parse({
      ...matchRequest(stack.programId, { id: reference, title: `CSV案件 ${reference}` }),
      ...dates,
      host: { name: '山田 花子', email: `host.${reference}@example.jp`, organization: '山田食品' },
      talent: { name: 'Alex', email: `talent.${reference}@example.com`, locale: 'en' },
    });
    const row = await storeMatch(stack.database.db, request);
    await stack.database.db.match.update({
      where: { id: row.id },
      data: { id: reference, workflowId: matchWorkflowId(reference) },
    });

    const again = await post(stack, [header, line(reference)].join('\n'));
    expect(again).toEqual({ status: 200, body: { total: 1, created: [], existing: [reference] } });
    await expect(stack.database.db.match.count({ where: { id: matchId(reference) } })).resolves.toBe(0);
    const detail = await stack.api.request('GET', `/matches/${reference}`);
    expect(detail.body.match).toMatchObject({ id: reference, reference, programId: stack.programId });

    // Another program's match with the same own id is its own, and says nothing of the first.
    const other = unique('prog');
    expect((await stack.api.request('POST', '/programs', { id: other, name: '別のプログラム' })).status).toBe(201);
    const theirs = await post(stack, [header, line(reference, { program_id: other })].join('\n'));
    expect(theirs).toEqual({ status: 200, body: { total: 1, created: [matchIdFor(other, reference)], existing: [] } });
  });

  it('imports a quoted multi-line cell (Excel’s Alt+Enter) on one line; a NUL in a cell is named by row and column', async () => {
    const id = unique('nl');
    const res = await post(stack, [header, line(id, { title: '"観光DX\r\n（第2期）"' })].join('\r\n'));
    expect(res.status).toBe(200);
    const stored = await stack.database.db.match.findUniqueOrThrow({
      where: { id: matchId(id) },
      select: { title: true },
    });
    expect(stored.title).toBe('観光DX （第2期）');

    const nul = await post(
      stack,
      [header, line(unique('ok')), line(unique('nul'), { host_name: '山田\u0000花子' })].join('\n'),
    );
    expect(nul.status).toBe(400);
    expect(nul.body.errors).toEqual([
      { field: 'row 3: host_name', message: 'must not contain control characters (such as NUL)' },
    ]);
  });

  it('refuses a Shift_JIS file with broken bytes, naming the row and column, and imports nothing', async () => {
    const ids = [unique('bb'), unique('bb')];
    const good = shiftJis([header, line(ids[0]!, { title: '観光DX' })].join('\r\n'));
    // "メ" is 0x83 0x81 in Shift_JIS; 0x83 0xFF is no character at all (what a cut or mangled file holds).
    const broken = Buffer.concat([
      good,
      Buffer.from('\r\n'),
      shiftJis(line(ids[1]!, { title: 'X' }).split('X')[0]!),
      Buffer.from([0x83, 0xff, 0x83, 0x81]),
      shiftJis(line(ids[1]!, { title: 'X' }).split('X')[1]!),
    ]);
    const res = await post(stack, broken);
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain('neither valid UTF-8 nor valid Shift_JIS');
    expect(res.body.errors).toEqual([
      { field: 'row 3: title', message: 'has bytes that are not valid Shift_JIS (broken characters)' },
    ]);
    await expect(stack.database.db.match.count({ where: { id: { in: ids.map(matchId) } } })).resolves.toBe(0);
  });

  it('refuses an empty file, unknown columns and a body that is not CSV', async () => {
    expect((await post(stack, '')).status).toBe(400);
    const unclosed = await post(stack, `${header}\n"unclosed,quote`);
    expect(unclosed.status).toBe(400);
    expect(unclosed.body.detail).toBe('The file is not valid CSV; nothing was imported.');
    const unknown = await post(stack, `${header},favourite_colour\n${line(unique('u'))},blue`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors![0]).toMatchObject({
      field: 'row 1: favourite_colour',
      message: expect.stringContaining('unknown column'),
    });
    const json = await fetch(`${stack.api.url}/imports/matches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...stack.adminHeaders },
      body: '{}',
    });
    expect(json.status).toBe(415);
  });
});
