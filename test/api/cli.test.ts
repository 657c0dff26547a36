import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../cli/main';
import { API_KEY_CACHE_MS } from '../../api/auth';
import { displayWidth, formatTable } from '../../cli/table';
import { matchIdFor, matchWorkflowId } from '../../workflows/shared';
import { eventually } from '../support/eventually';
import { matchDates, unique } from '../support/fixtures';
import { seedReadModel } from '../support/seed';
import { createDevStack, type DevStack } from '../support/stack';
import { TEST_PAYLOAD_KEYS } from '../support/temporal';

describe('the operators’ CLI (same code as the API, real Postgres and Temporal)', () => {
  let stack: DevStack;
  const saved = { ...process.env };

  beforeAll(async () => {
    stack = await createDevStack();
    process.env.DATABASE_URL = stack.database.url;
    process.env.TEMPORAL_ADDRESS = stack.env.address;
    process.env.TASK_QUEUE = stack.deps.taskQueue;
    process.env.PAYLOAD_ENCRYPTION_KEYS = TEST_PAYLOAD_KEYS;
  });
  afterAll(async () => {
    process.env = saved;
    await stack?.close();
  });

  async function cli(...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(args, { out: (l) => out.push(l) }, (l) => err.push(l));
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('creates an API key that the API then accepts, with the role and programs asked for', async () => {
    const res = await cli(
      'api-key',
      'create',
      '--name',
      'kochi office',
      '--role',
      'program_manager',
      '--program',
      stack.programId,
    );
    expect(res.code).toBe(0);
    const key = res.out.split('\n').at(-1)!;
    expect(key).toMatch(/^bsk_/);
    const list = await stack.api.request('GET', `/matches?program=${stack.programId}`, undefined, {
      authorization: `Bearer ${key}`,
    });
    expect(list.status).toBe(200);
    const other = await stack.api.request('GET', '/matches?program=someone-else', undefined, {
      authorization: `Bearer ${key}`,
    });
    expect(other.status).toBe(403);
    expect((await cli('api-key', 'create', '--name', 'x', '--role', 'coordinator')).code).toBe(1); // needs a program
    expect((await cli('api-key', 'create', '--name', 'x', '--role', 'boss')).code).toBe(2);
  });

  it('lists keys with their last use and revokes one: the API answers 401 to it within the key cache bound', async () => {
    const created = await cli(
      'api-key',
      'create',
      '--name',
      '高知 事務局',
      '--role',
      'coordinator',
      '--program',
      stack.programId,
    );
    const key = created.out.split('\n').at(-1)!;
    // `bsk_` and 8 characters of base64url, which may themselves hold a `_`.
    const prefix = key.slice(0, 'bsk_'.length + 8);
    const asKey = () =>
      stack.api.request('GET', `/matches?program=${stack.programId}`, undefined, { authorization: `Bearer ${key}` });
    expect((await asKey()).status).toBe(200);
    await eventually(async () =>
      (await cli('api-key', 'list')).out.split('\n').find((l) => l.includes(prefix) && !/never/.test(l)),
    );
    const listed = (await cli('api-key', 'list')).out.split('\n').find((l) => l.includes(prefix))!;
    expect(listed).toMatch(/高知 事務局\s+coordinator/);
    expect(listed).toMatch(/\d{4}-\d\d-\d\dT/); // the last use

    const revoked = await cli('api-key', 'revoke', prefix);
    expect(revoked).toMatchObject({ code: 0, out: expect.stringContaining('Revoked coordinator key "高知 事務局"') });
    // The API looked the key up a moment ago and keeps lookups for API_KEY_CACHE_MS at most.
    await new Promise((resolve) => setTimeout(resolve, API_KEY_CACHE_MS + 50));
    expect((await asKey()).status).toBe(401);
    expect((await cli('api-key', 'list')).out.split('\n').find((l) => l.includes(prefix))).toMatch(/\dZ\s*$/);
    expect(await cli('api-key', 'revoke', 'bsk_nosuchkey')).toMatchObject({
      code: 1,
      err: 'No API key "bsk_nosuchkey".',
    });
    expect((await cli('api-key', 'create', '--name', 'a\u0000b', '--role', 'admin')).err).toMatch(
      /--name: must not contain control characters/,
    );
  });

  it('marks admins of the workspace, lists them, and never removes the last one', async () => {
    expect((await cli('admin', 'add', 'Ops@Pref.Example.jp')).out).toBe('ops@pref.example.jp is an admin.');
    expect((await cli('admin', 'list')).out).toContain('ops@pref.example.jp\t(marked by cli)');
    const last = await cli('admin', 'remove', 'ops@pref.example.jp');
    expect(last.code).toBe(1);
    expect(last.err).toContain('last admin');
    expect((await cli('admin', 'add', 'second@pref.example.jp')).code).toBe(0);
    expect((await cli('admin', 'remove', 'ops@pref.example.jp')).code).toBe(0);
    expect((await cli('admin', 'list')).out).not.toContain('ops@');
    expect((await cli('admin', 'add', 'not-an-email')).code).toBe(1);
  });

  it('prints KPIs as a table (the seed’s cohort: 96.9% completion, 3.1% early termination) and the matches at risk', async () => {
    const program = unique('cli').toLowerCase();
    await stack.database.db.program.create({ data: { id: program, name: 'CLI' } });
    await seedReadModel(stack.database.db, program, 32, (i) => ({
      status: i === 31 ? 'terminated_early' : 'completed',
      phase: 'closed',
      region: '長野県',
    }));
    await seedReadModel(stack.database.db, program, 3, (i) => ({
      title: ['赤い案件', '黄色い案件', '緑の案件'][i]!,
      status: 'open',
      phase: 'active',
      cohort: '2026-10',
      healthBand: ['red', 'amber', 'green'][i]!,
      healthScore: [30, 60, 90][i]!,
      openEscalations: [2, 1, 0][i]!,
    }));
    const kpis = await cli('kpis', program, '--cohort', '2026-04');
    expect(kpis.code).toBe(0);
    const [header, , total] = kpis.out.split('\n');
    expect(header).toContain('completion');
    expect(total).toMatch(new RegExp(`^${program}\\s+32\\s+0\\s+31\\s+1\\s+96\\.9%\\s+3\\.1%`));

    const risk = await cli('at-risk', '--program', program);
    expect(risk.code).toBe(0);
    const lines = risk.out.split('\n');
    expect(lines[2]).toContain('赤い案件');
    expect(lines[3]).toContain('黄色い案件');
    expect(risk.out).not.toContain('緑の案件');
    expect((await cli('kpis', 'no-such-program')).err).toContain('No program with id "no-such-program"');
  });

  it('checks options with the API’s schemas: every wrong one named, a non-zero exit, nothing printed as a result', async () => {
    const from = await cli('kpis', stack.programId, '--from', '2026/04/01', '--cohort', '2026-4');
    expect(from.code).toBe(1);
    expect(from.out).toBe('');
    expect(from.err).toContain('--from: must be a date as YYYY-MM-DD');
    expect(from.err).toContain('--cohort: must be a month as YYYY-MM');
    const to = await cli('kpis', stack.programId, '--to', 'yesterday');
    expect(to).toMatchObject({ code: 1, out: '', err: expect.stringContaining('--to: must be a date as YYYY-MM-DD') });

    const many = await cli('at-risk', '-n', '500');
    expect(many.code).toBe(1);
    expect(many.out).toBe('');
    expect(many.err).toMatch(/--limit: .*200/);
    const band = await cli('at-risk', '--band', 'red,purple');
    expect(band.code).toBe(1);
    expect(band.out).toBe('');
    expect(band.err).toMatch(/--band: .*"green"\|"amber"\|"red"\|"too_early"/);
    expect(band.err.match(/--band/g)).toHaveLength(1);
    // The same values the API accepts still work.
    expect((await cli('at-risk', '--band', 'red', '-n', '200')).code).toBe(0);
  });

  it('imports a CSV file, starting each match once', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bansou-cli-'));
    const file = path.join(dir, 'matches.csv');
    const id = unique('cli-csv');
    const dates = matchDates();
    writeFileSync(
      file,
      [
        'id,program_id,title,start_date,end_date,host_organization,host_name,host_email,talent_name,talent_email,coordinator_name,coordinator_email',
        `${id},${stack.programId},CLI取込,${dates.startDate},${dates.endDate},山田食品,山田,h.${id}@x.jp,佐藤,t.${id}@x.jp,鈴木,c.${id}@x.jp`,
      ].join('\n'),
    );
    const first = await cli('import', file);
    expect(first).toMatchObject({ code: 0, out: expect.stringContaining('1 matches started, 0 already imported') });
    expect(
      (await stack.env.client.workflow.getHandle(matchWorkflowId(matchIdFor(stack.programId, id))).describe()).status
        .name,
    ).toBe('RUNNING');
    expect((await cli('import', file)).out).toContain('0 matches started, 1 already imported');
    writeFileSync(file, 'id,title\nbad id!,');
    const bad = await cli('import', file);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('row 2: id');
  });

  it('says what is wrong with its configuration and its usage', async () => {
    const url = process.env.DATABASE_URL;
    process.env.DATABASE_URL = 'mysql://nope';
    const res = await cli('at-risk');
    process.env.DATABASE_URL = url;
    expect(res).toMatchObject({ code: 78, err: expect.stringContaining('DATABASE_URL') });
    expect((await cli('frobnicate')).code).toBe(2);
  });

  it('lines up Japanese text in its tables', () => {
    expect(displayWidth('案件A')).toBe(5);
    const table = formatTable(
      ['title', 'n'],
      [
        ['赤い案件', '2'],
        ['green', '10'],
      ],
    ).split('\n');
    expect(new Set(table.map(displayWidth)).size).toBe(1); // every line ends in the same column
    expect(table[2]).toBe('赤い案件   2');
    expect(table[3]).toBe('green     10');
  });
});
