import type { TCreateMatchRequest } from '../api/services/matches';
import type { Playbook } from '../workflows/playbook';
import type { Database } from '../prisma/client';
import { matchIdFor, matchWorkflowId, type MatchSnapshot } from '../workflows/shared';

/** The matches the benchmarks make: a body for POST /matches, and whose email is whose. */

/** Sending at any hour on any day: the benchmarks run on the real clock, at any hour. */
export const ALWAYS_SEND: Partial<Playbook> = {
  sendingHours: { start: '00:00', end: '24:00' },
  sendDays: 'all',
  skipHolidays: false,
};

const today = () => new Date(Date.now() + 9 * 3_600_000).toISOString().slice(0, 10);

/**
 * A POST /matches body: starts today (JST), runs half a year; `id` is the program's own (the reference), and each
 * person's address carries it.
 */
export function matchBody(programId: string, id: string): TCreateMatchRequest {
  const start = today();
  const end = new Date(Date.parse(start) + 182 * 86_400_000).toISOString().slice(0, 10);
  return {
    id,
    programId,
    title: '地域の食品メーカーの EC 販路開拓',
    region: '長野県',
    startDate: start,
    endDate: end,
    host: { name: '山田 花子', email: `host.${id}@bench.example`, locale: 'ja', organization: '山田食品株式会社' },
    talent: { name: 'Alex Tanaka', email: `talent.${id}@bench.example`, locale: 'en' },
    coordinator: { name: '鈴木 一郎', email: `coordinator.${id}@bench.example`, locale: 'ja' },
  };
}

/** The match (its reference) an address belongs to, and the person's role in it. */
export function ownerOf(address: string): { role: string; reference: string } | undefined {
  const found = /^(host|talent|coordinator)\.([^@]+)@bench\.example$/.exec(address);
  return found ? { role: found[1]!, reference: found[2]! } : undefined;
}

/** Runs `work` over `items`, at most `concurrency` at a time; resolves with each result in order. */
export async function inParallel<T, R>(
  items: T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i]!, i);
    }),
  );
  return results;
}

/**
 * Registers a match for a benchmark's setup, trying again when the API answers 5xx (it may, on a starved machine): the
 * same request again returns the same match, and a 409 after a refused try means an earlier try got through.
 */
export async function registerForSetup(baseUrl: string, headers: Record<string, string>, body: unknown): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${baseUrl}/matches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status === 201 || res.status === 200 || (res.status === 409 && attempt > 1)) return;
    if (res.status < 500 || attempt >= 8) throw new Error(`POST /matches: ${res.status} ${text.slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 1000 * attempt));
  }
}

/** The workflow input for `matchBody(programId, id)`, as the API builds it (people's ids derived from the match id). */
export function snapshotOf(programId: string, reference: string): MatchSnapshot {
  const body = matchBody(programId, reference);
  const id = matchIdFor(programId, reference);
  const person = (p: { name: string; email: string; locale?: 'ja' | 'en' }, role: string) => ({
    personId: `${id}-${role}`,
    name: p.name,
    email: p.email,
    locale: p.locale ?? 'ja',
  });
  return {
    id,
    programId,
    programName: `ベンチマーク ${programId}`,
    title: body.title,
    startDate: body.startDate,
    endDate: body.endDate!,
    host: { ...person(body.host, 'host'), organization: body.host.organization },
    talent: person(body.talent, 'talent'),
    coordinator: person(body.coordinator, 'coordinator'),
    programManagers: [],
  };
}

/** Writes matches and their people straight to Postgres, in bulk (no workflow): what a benchmark's setup needs fast. */
export async function insertMatches(db: Database, programId: string, references: string[]): Promise<string[]> {
  for (let i = 0; i < references.length; i += 1000) {
    const chunk = references
      .slice(i, i + 1000)
      .map((reference) => ({ id: matchIdFor(programId, reference), body: matchBody(programId, reference) }));
    await db.person.createMany({
      data: chunk.flatMap(({ id, body }) =>
        (['host', 'talent', 'coordinator'] as const).map((role) => ({
          id: `${id}-${role}`,
          programId,
          email: body[role].email,
          name: body[role].name,
          locale: body[role].locale ?? 'ja',
          role,
        })),
      ),
    });
    await db.match.createMany({
      data: chunk.map(({ id, body }) => ({
        id,
        programId,
        title: body.title,
        hostId: `${id}-host`,
        talentId: `${id}-talent`,
        coordinatorId: `${id}-coordinator`,
        startDate: new Date(`${body.startDate}T00:00:00Z`),
        endDate: new Date(`${body.endDate}T00:00:00Z`),
        workflowId: matchWorkflowId(id),
        cohort: body.startDate.slice(0, 7),
      })),
    });
  }
  return references.map((reference) => matchIdFor(programId, reference));
}

/** `count` events on each match's timeline, an hour apart up to now: emails sent and answers, as a long match has. */
export async function insertTimeline(db: Database, matchIds: string[], count: number): Promise<void> {
  const t0 = Date.now() - count * 3_600_000;
  for (const id of matchIds) {
    await db.matchEvent.createMany({
      data: Array.from({ length: count }, (_, n) => ({
        key: `bench/${id}/e${n}`,
        matchId: id,
        type: n % 3 ? 'email.sent' : 'checkin.answered',
        payload:
          n % 3
            ? {
                template: 'checkin-request',
                role: 'host',
                to: `host.${id}@bench.example`,
                subject: '定期チェックイン',
                messageId: `<${n}@bench>`,
              }
            : { round: n, respondent: 'talent', answerId: `a-${n}` },
        occurredAt: new Date(t0 + n * 3_600_000),
      })),
      skipDuplicates: true,
    });
  }
}
