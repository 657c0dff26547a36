/**
 * A whole match in about a minute and a half, through the real stack: a program whose playbook runs in seconds, a
 * match that ends soon after it starts, and people who do their part (the coordinator through the API, host and
 * talent through the check-in pages, following the links in their emails). Watch it in the Temporal UI and the mail
 * view while it runs:
 *
 *   ./dev/start            # in one terminal
 *   npx tsx dev/demo.ts    # in another
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_PLAYBOOK, type CoordinatorTaskDef, type Playbook } from '../workflows/playbook';
import { matchIdFor, matchReference, matchWorkflowId, type MatchState } from '../workflows/shared';
import { devEnv } from './env';

/** When each of the default playbook's coordinator tasks opens and falls due, in seconds. */
const TASK_TIMES_IN_SECONDS: Record<string, Pick<CoordinatorTaskDef, 'at' | 'dueWithin'>> = {
  kickoff_prep: { at: { anchor: 'start', offset: '0s' }, dueWithin: '60s' },
  midpoint_review: { at: { anchor: 'term', fraction: 0.5 }, dueWithin: '30s' },
  wrap_up_interview: { at: { anchor: 'end', before: '20s' }, dueWithin: '15s' },
  record_outcome: { at: { anchor: 'end', before: '0s' }, dueWithin: '60s' },
  retrospective: { at: { anchor: 'close', offset: '2s' }, dueWithin: '30s' },
};

/** Durations in seconds, sending at any hour: the lifecycle fits in minutes. */
export const SECONDS_PLAYBOOK: Partial<Playbook> = {
  sendingHours: { start: '00:00', end: '24:00' },
  sendDays: 'all',
  skipHolidays: false,
  kickoff: { deadline: '60s', reminderBefore: '2s' },
  checkins: { cadence: '12s', firstAfterKickoff: '2s', reminderAfter: '4s', closeAfter: '8s', extraQuestions: [] },
  tasks: DEFAULT_PLAYBOOK.tasks.map((task) => ({ ...task, ...TASK_TIMES_IN_SECONDS[task.key] })),
};

export type DemoEmail = { to: string; template: string; text: string };

export type DriveOptions = {
  apiUrl: string;
  /** Every email sent so far (from the mail catcher, or a test's SMTP listener). */
  emails: () => Promise<DemoEmail[]>;
  programId: string;
  /** The match's id, `<programId>:<reference>` (`matchIdFor`): it is registered with the reference. */
  matchId: string;
  /** The match runs this long from now. */
  termSeconds?: number;
  /** Extra HTTP headers for the API (an API key). */
  headers?: Record<string, string>;
  log?: (line: string) => void;
};

export type DriveResult = { phases: string[]; rounds: number; outcome: string; seconds: number };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Creates the match and lives it to the end; returns the phases it went through. */
export async function driveLifecycle(o: DriveOptions): Promise<DriveResult> {
  const log = o.log ?? (() => undefined);
  const t0 = Date.now();
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${o.apiUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...o.headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  const state = async () => (await api('GET', `/matches/${o.matchId}?live=true`)).live as MatchState;

  const reference = matchReference(o.matchId);
  await api('POST', '/matches', {
    id: reference,
    programId: o.programId,
    title: 'デモ: 地域食品メーカーの EC 販路開拓',
    startDate: new Date(Date.now() + 9 * 3_600_000).toISOString().slice(0, 10),
    endsAt: new Date(t0 + (o.termSeconds ?? 75) * 1000).toISOString(),
    host: { name: '山田 花子', email: `host.${reference}@demo.bansou.localhost`, organization: '山田食品株式会社' },
    talent: { name: 'Alex Tanaka', email: `talent.${reference}@demo.bansou.localhost`, locale: 'en' },
    coordinator: { name: '鈴木 一郎', email: `coordinator.${reference}@demo.bansou.localhost` },
  });
  log(`match ${o.matchId} created; it ends in ${o.termSeconds ?? 75} s`);

  // The coordinator: contract verified, kickoff in a few seconds, recorded held.
  await api('POST', `/matches/${o.matchId}/contracts/outsourcing_contract`, { status: 'verified' });
  await api('POST', `/matches/${o.matchId}/kickoff/schedule`, {
    startsAt: new Date(Date.now() + 3000).toISOString(),
    durationMinutes: 30,
  });
  await sleep(3500);
  await api('POST', `/matches/${o.matchId}/kickoff/record`, { held: true });
  log('kickoff held');

  const phases: string[] = ['onboarding'];
  const answered = new Set<string>();
  let s = await state();
  while (!(s.phase === 'closed' && s.tasks.every((t) => t.status !== 'open' && t.status !== 'scheduled'))) {
    if (phases.at(-1) !== s.phase) {
      phases.push(s.phase);
      log(`phase: ${s.phase}`);
    }
    for (const task of s.tasks.filter((t) => t.status === 'open')) {
      await api('POST', `/matches/${o.matchId}/tasks/${task.id}/done`, { note: 'done' });
      log(`task done: ${task.key}`);
    }
    const round = s.checkins.current;
    if (round?.status === 'open') {
      for (const who of ['host', 'talent'] as const) {
        const key = `${round.round}/${who}`;
        if (answered.has(key)) continue;
        const link = await checkinLinkFor(o, s.match[who].email, round.round);
        if (!link) continue;
        await answerThroughPage(link);
        answered.add(key);
        log(`check-in ${round.round} answered by ${who}`);
      }
    }
    if (s.phase === 'wrap_up' && s.checkins.finalSent && round?.status === 'closed' && !s.outcome) {
      await api('POST', `/matches/${o.matchId}/complete`, { note: '予定どおり完了' });
      log('outcome recorded: completed');
    }
    await sleep(500);
    s = await state();
    if (Date.now() - t0 > 10 * 60_000) throw new Error('the demo match did not finish within 10 minutes');
  }
  if (phases.at(-1) !== 'closed') phases.push('closed');
  return {
    phases,
    rounds: s.checkins.completedRounds,
    outcome: s.status,
    seconds: Math.round((Date.now() - t0) / 1000),
  };
}

/** The check-in link in the newest request (or close-out survey) to `to` for this round. */
async function checkinLinkFor(o: DriveOptions, to: string, round: number): Promise<string | undefined> {
  const asks = (await o.emails()).filter(
    (e) => e.to === to && ['checkin-request', 'closeout-survey'].includes(e.template),
  );
  if (asks.length < round) return undefined;
  return /https?:\/\/\S+\/checkins\/[A-Za-z0-9_.-]+/.exec(asks[round - 1]!.text)?.[0];
}

/** Opens the check-in page like a browser, takes its form's CSRF value and sends a full set of answers. */
async function answerThroughPage(link: string): Promise<void> {
  const page = await (await fetch(link)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
  if (!csrf) return; // the round closed in the meantime
  const form = new URLSearchParams({
    csrf,
    satisfaction: '4',
    working_style: '4',
    remote_tools: '4',
    priority: '4',
    expectation: '4',
    task_clarity: '4',
    contract_admin: '5',
    hoursSpent: '3',
  });
  const res = await fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  if (res.status !== 200 && res.status !== 409) throw new Error(`check-in page answered ${res.status}`);
}

/** Emails from MailDev's REST API (the dev stack's mail catcher). */
async function maildevEmails(webUrl: string): Promise<DemoEmail[]> {
  const list = (await (await fetch(`${webUrl}/email`)).json()) as {
    to: { address: string }[];
    text?: string;
    headers?: Record<string, string>;
  }[];
  return list.map((m) => ({
    to: m.to[0]?.address ?? '',
    template: m.headers?.['x-bansou-template'] ?? '',
    text: m.text ?? '',
  }));
}

async function main(): Promise<void> {
  const env = devEnv();
  const apiUrl = `http://localhost:${env.PORT}`;
  // The dev stack's admin key unless BANSOU_API_KEY says otherwise.
  const keyFile = path.join(env.BANSOU_DATA_DIR, 'dev-api-key');
  const apiKey = env.BANSOU_API_KEY ?? (existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : undefined);
  if (!apiKey)
    throw new Error(
      'No API key: start the stack with ./dev/start (it writes .data/dev-api-key) or set BANSOU_API_KEY.',
    );
  const headers: Record<string, string> = { authorization: `Bearer ${apiKey}` };
  const programId = 'demo-seconds';
  const programRes = await fetch(`${apiUrl}/programs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      id: programId,
      name: 'デモ（秒単位の支援プラン）',
      region: '長野県',
      managers: [{ name: '事務局', email: 'pm@demo.bansou.localhost' }],
    }),
  });
  if (programRes.status !== 201 && programRes.status !== 409)
    throw new Error(`POST /programs: ${programRes.status} ${await programRes.text()}`);
  const playbookRes = await fetch(`${apiUrl}/programs/${programId}/playbook`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(SECONDS_PLAYBOOK),
  });
  if (!playbookRes.ok) throw new Error(`PUT playbook: ${playbookRes.status} ${await playbookRes.text()}`);
  const matchId = matchIdFor(programId, `demo-${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`);
  console.log(
    `Temporal UI:  http://localhost:${env.TEMPORAL_UI_PORT}/namespaces/default/workflows/${matchWorkflowId(matchId)}`,
  );
  console.log(`Mail view:    http://localhost:${env.MAIL_WEB_PORT}`);
  const result = await driveLifecycle({
    apiUrl,
    programId,
    matchId,
    headers,
    emails: () => maildevEmails(`http://localhost:${env.MAIL_WEB_PORT}`),
    log: (line) => console.log(`[demo +${Math.round(performance.now() / 1000)}s] ${line}`),
  });
  console.log(
    `done: ${result.phases.join(' → ')} (${result.rounds} check-ins, ${result.outcome}, ${result.seconds} s)`,
  );
  console.log(`GET ${apiUrl}/matches/${matchId} shows its timeline and read model.`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
