import { createCipheriv, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { createApp } from '../../api/app';
import { RETRY_AFTER_SECONDS } from '../../api/errors';
import { KeyRing } from '../../config/key-ring';
import { matchWorkflowId } from '../../workflows/shared';
import { importCsv, matchRequest, unique } from '../support/fixtures';
import { serve, type HttpResponse } from '../support/http';
import { keyHeaders } from '../support/keys';
import { createDevStack, SIGNING_SECRET, type DevStack } from '../support/stack';
import { testKeys } from '../support/temporal';

const keyed = (key: string, extra: Record<string, string> = {}) => ({ 'idempotency-key': key, ...extra });

/** How many times the match workflow took an update (`addNote`, `pause`…), read from its history. */
async function updatesTaken(stack: DevStack, matchId: string, name: string): Promise<number> {
  const history = await stack.env.client.workflow.getHandle(matchWorkflowId(matchId)).fetchHistory();
  return (history.events ?? []).filter(
    (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === name,
  ).length;
}

/** An answer sealed as the release before the key ring sealed them: AES-256-GCM, a key derived from SIGNING_SECRET. */
function sealedTheOldWay(answer: unknown): string {
  const key = Buffer.from(hkdfSync('sha256', SIGNING_SECRET, 'bansou', 'idempotent-answers', 32));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(answer), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64');
}

describe('Idempotency-Key: a POST sent again with its key is applied once and answered the same (real Temporal, Postgres)', () => {
  let stack: DevStack;
  beforeAll(async () => {
    stack = await createDevStack({ stoppableTemporal: true });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('an action sent twice with one key: one update, the same answer; another body with the key is a 422', async () => {
    const match = await stack.createMatch();
    const key = randomUUID();
    const note = { text: '初回面談。良好。', sentiment: 4 };
    const first = await stack.api.request('POST', `/matches/${match.id}/notes`, note, keyed(key));
    const again = await stack.api.request('POST', `/matches/${match.id}/notes`, note, keyed(key));
    expect(first.status).toBe(200);
    expect([again.status, again.body]).toEqual([200, first.body]);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await updatesTaken(stack, match.id, 'addNote')).toBe(1);

    // The same key with another body, or on another path: refused, naming the header; nothing applied.
    const other = await stack.api.request('POST', `/matches/${match.id}/notes`, { text: '別のメモ' }, keyed(key));
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({
      type: '/docs#problem-idempotency_key_reused',
      errors: [{ field: 'Idempotency-Key (header)', message: 'already used for another request' }],
    });
    const elsewhere = await stack.api.request('POST', `/matches/${match.id}/pause`, { reason: '繁忙期' }, keyed(key));
    expect(elsewhere.status).toBe(422);
    expect(await updatesTaken(stack, match.id, 'addNote')).toBe(1);
    expect(await updatesTaken(stack, match.id, 'pause')).toBe(0);

    // A key is its caller's: another key's caller with the same Idempotency-Key makes its own request.
    const coordinatorKey = await keyHeaders(stack.database.db, 'coordinator', [stack.programId]);
    const theirs = await stack.api.request('POST', `/matches/${match.id}/notes`, note, {
      ...coordinatorKey,
      ...keyed(key),
    });
    expect([theirs.status, theirs.headers.get('idempotent-replayed')]).toEqual([200, null]);
    expect(await updatesTaken(stack, match.id, 'addNote')).toBe(2);

    // Without a key, each request is its own.
    await stack.api.request('POST', `/matches/${match.id}/notes`, note);
    expect(await updatesTaken(stack, match.id, 'addNote')).toBe(3);
  }, 60_000);

  it('a workflow refusal is an answer too: the same request again gets the same 409 without asking the workflow', async () => {
    const match = await stack.createMatch();
    const key = randomUUID();
    const first = await stack.api.request('POST', `/matches/${match.id}/resume`, {}, keyed(key));
    expect(first.status).toBe(409);
    const again = await stack.api.request('POST', `/matches/${match.id}/resume`, {}, keyed(key));
    expect([again.status, again.body.detail, again.headers.get('idempotent-replayed')]).toEqual([
      409,
      first.body.detail,
      'true',
    ]);
  }, 60_000);

  it('a malformed key is a 400 naming the header, before anything is done', async () => {
    const match = await stack.createMatch();
    for (const bad of ['short', 'with space inside', 'x'.repeat(256), 'schlüssel-0001', 'tab\there-0001']) {
      const res = await stack.api.request('POST', `/matches/${match.id}/notes`, { text: 'メモ' }, keyed(bad));
      expect([bad, res.status]).toEqual([bad, 400]);
      expect(res.body.errors).toEqual([{ field: 'Idempotency-Key (header)', message: expect.any(String) }]);
    }
    expect(await updatesTaken(stack, match.id, 'addNote')).toBe(0);
  }, 60_000);

  it('a program, an API key, a match and a CSV import sent twice with one key: created once, answered the same', async () => {
    /** The same POST sent twice, one after the other: its two answers. */
    const sentTwice = async (path: string, body: unknown, headers: Record<string, string>) => [
      await stack.api.request('POST', path, body, headers),
      await stack.api.request('POST', path, body, headers),
    ];
    const program = { id: unique('idem'), name: '冪等プログラム' };
    const programKey = randomUUID();
    const programs = await sentTwice('/programs', program, keyed(programKey));
    expect(programs.map((r) => r.status)).toEqual([201, 201]);
    expect(programs[1]!.body).toEqual(programs[0]!.body);
    // Without the key, the same request is a new one: the id exists.
    expect((await stack.api.request('POST', '/programs', program)).status).toBe(409);

    // A new API key is shown once; the same request again shows the same key, and only one exists.
    const keyRequest = { name: unique('冪等キー'), role: 'program_manager', programIds: [program.id] };
    const apiKeyKey = randomUUID();
    const keys = await sentTwice('/api-keys', keyRequest, keyed(apiKeyKey));
    expect(keys.map((r) => r.status)).toEqual([201, 201]);
    expect(keys[1]!.body).toEqual(keys[0]!.body);
    await expect(stack.database.db.apiKey.count({ where: { name: keyRequest.name } })).resolves.toBe(1);
    // The stored answer holding it is encrypted.
    const stored = await stack.database.db.idempotentRequest.findMany({ where: { route: '/api-keys' } });
    expect(stored.some((r) => r.answer?.includes(keys[0]!.body.key))).toBe(false);

    const registration = matchRequest(stack.programId);
    const matchKey = randomUUID();
    const matches = await sentTwice('/matches', registration, keyed(matchKey));
    expect(matches.map((r) => r.status)).toEqual([201, 201]);
    expect(matches[1]!.body).toEqual(matches[0]!.body);

    const ids = [unique('csv'), unique('csv')];
    const csv = importCsv(stack.programId, ids);
    const importKey = randomUUID();
    const headers = keyed(importKey, { 'content-type': 'text/csv' });
    const imports = await sentTwice('/imports/matches', csv, headers);
    expect(imports.map((r) => r.status)).toEqual([200, 200]);
    expect(imports[0]!.body.created).toHaveLength(2);
    expect(imports[1]!.body).toEqual(imports[0]!.body);
    // Another file under the same key is refused.
    const otherFile = await stack.api.request(
      'POST',
      '/imports/matches',
      importCsv(stack.programId, [unique('csv')]),
      headers,
    );
    expect(otherFile.status).toBe(422);
  }, 120_000);

  it('an API that died after acting but before keeping the answer: the retry acts no more and answers the same', async () => {
    const match = await stack.createMatch();
    const noteKey = randomUUID();
    const importKey = randomUUID();
    const note = { text: '応答を保存する前に落ちたメモ' };
    const csv = importCsv(stack.programId, [unique('csv'), unique('csv')]);
    const headers = keyed(importKey, { 'content-type': 'text/csv' });
    const first = [
      await stack.api.request('POST', `/matches/${match.id}/notes`, note, keyed(noteKey)),
      await stack.api.request('POST', '/imports/matches', csv, headers),
    ];
    expect(first.map((r) => r.status)).toEqual([200, 200]);
    // As if the process had died between acting and writing the answer down: the keys are known, the answers not.
    await stack.database.db.idempotentRequest.updateMany({
      where: { route: { in: ['/matches/:id/notes', '/imports/matches'] }, answer: { not: null } },
      data: { answer: null, answeredAt: null, heldUntil: null },
    });
    const retried = [
      await stack.api.request('POST', `/matches/${match.id}/notes`, note, keyed(noteKey)),
      await stack.api.request('POST', '/imports/matches', csv, headers),
    ];
    // The note is the same update (Temporal's answer to its id); the import counts the matches its first attempt made.
    expect(retried.map((r) => [r.status, r.body, r.headers.get('idempotent-replayed')])).toEqual(
      first.map((r) => [r.status, r.body, null]),
    );
    expect(first[1]!.body.created).toHaveLength(2);
    expect(await updatesTaken(stack, match.id, 'addNote')).toBe(1);
  }, 60_000);

  it('an action whose first attempt got a 503 (the worker stopped) is applied once when the worker is back, and the retry gets its answer', async () => {
    const match = await stack.createMatch();
    const key = randomUUID();
    const note = { text: 'ワーカー停止中に送ったメモ', sentiment: 3 };
    await stack.worker.stop();
    let first;
    try {
      first = await stack.api.request('POST', `/matches/${match.id}/notes`, note, keyed(key));
    } finally {
      await stack.worker.start();
    }
    // Temporal took the update, but no worker ran it before the deadline: it may still take effect.
    expect([first.status, first.headers.get('retry-after')]).toEqual([503, String(RETRY_AFTER_SECONDS)]);
    expect(first.body.detail).toMatch(/may still take effect/);
    // The same request again is the same update: Temporal answers it with the one outcome.
    const retry = await stack.api.request('POST', `/matches/${match.id}/notes`, note, keyed(key));
    expect(retry.status).toBe(200);
    expect(await updatesTaken(stack, match.id, 'addNote')).toBe(1);
    const again = await stack.api.request('POST', `/matches/${match.id}/notes`, note, keyed(key));
    expect([again.status, again.body, again.headers.get('idempotent-replayed')]).toEqual([200, retry.body, 'true']);
    expect(await updatesTaken(stack, match.id, 'addNote')).toBe(1);
  }, 120_000);

  it('an action and a registration whose first attempt got a 503 (Temporal stopped) are applied once after it is back', async () => {
    const match = await stack.createMatch();
    const noteKey = randomUUID();
    const matchKey = randomUUID();
    const note = { text: 'Temporal 停止中に送ったメモ' };
    const registration = matchRequest(stack.programId);
    await stack.temporal!.stop();
    try {
      const refused = await Promise.all([
        stack.api.request('POST', `/matches/${match.id}/notes`, note, keyed(noteKey)),
        stack.api.request('POST', '/matches', registration, keyed(matchKey)),
      ]);
      expect(refused.map((r) => r.status)).toEqual([503, 503]);
    } finally {
      await stack.temporal!.start();
    }
    // Retried with the same keys until Temporal answers (the client reconnects by itself).
    const retry = async (send: () => Promise<HttpResponse>) => {
      for (const until = Date.now() + 60_000; ;) {
        const res = await send();
        if (res.status !== 503 || Date.now() > until) return res;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    };
    const noted = await retry(() => stack.api.request('POST', `/matches/${match.id}/notes`, note, keyed(noteKey)));
    const registered = await retry(() => stack.api.request('POST', '/matches', registration, keyed(matchKey)));
    expect([noted.status, registered.status]).toEqual([200, 201]);
    expect(await updatesTaken(stack, match.id, 'addNote')).toBe(1);
    const replayed = [
      await stack.api.request('POST', `/matches/${match.id}/notes`, note, keyed(noteKey)),
      await stack.api.request('POST', '/matches', registration, keyed(matchKey)),
    ];
    expect(replayed.map((r) => [r.status, r.body])).toEqual([
      [200, noted.body],
      [201, registered.body],
    ]);
    expect(await updatesTaken(stack, match.id, 'addNote')).toBe(1);
    await expect(
      stack.database.db.match.count({ where: { id: registered.body.match.id, registeredAt: { not: null } } }),
    ).resolves.toBe(1);
  }, 240_000);
  it('stored answers are sealed with the payload keys: a key rotation still answers a retry the same, a retired key is a clear 409', async () => {
    const newKey = { id: 'rotated-2027', key: randomBytes(32) };
    const apiWith = (keys: KeyRing) => serve(createApp({ ...stack.deps, keys }), { headers: stack.adminHeaders });
    const storedAnswer = async (route: string) =>
      (await stack.database.db.idempotentRequest.findFirstOrThrow({ where: { route }, orderBy: { createdAt: 'desc' } }))
        .answer!;
    // An API key is shown once: its answer is one a retry must get again and must not make twice.
    const keyRequest = { name: unique('回転前のキー'), role: 'program_manager', programIds: [stack.programId] };
    const key = randomUUID();
    const first = await stack.api.request('POST', '/api-keys', keyRequest, keyed(key));
    expect(first.status).toBe(201);
    const sealed = await storedAnswer('/api-keys');
    expect(sealed).toMatch(/^sealed:test-2026:/);
    expect(sealed.includes(first.body.key)).toBe(false);

    // Rotated: the new key first, the old kept. The retry gets the same answer; new answers are sealed with the new key.
    const rotated = await apiWith(new KeyRing([newKey, ...testKeys()]));
    const retired = await apiWith(new KeyRing([newKey]));
    try {
      const again = await rotated.request('POST', '/api-keys', keyRequest, keyed(key));
      expect([again.status, again.body, again.headers.get('idempotent-replayed')]).toEqual([201, first.body, 'true']);
      const later = { name: unique('回転後のキー'), role: 'program_manager', programIds: [stack.programId] };
      expect((await rotated.request('POST', '/api-keys', later, keyed(randomUUID()))).status).toBe(201);
      expect(await storedAnswer('/api-keys')).toMatch(/^sealed:rotated-2027:/);

      // The old key no longer listed: the retry is told its answer cannot be read, and nothing is made again.
      const lost = await retired.request('POST', '/api-keys', keyRequest, keyed(key));
      expect([lost.status, lost.body.type]).toEqual([409, '/docs#problem-idempotency_answer_unreadable']);
      expect(lost.body.detail).toMatch(/not applied twice/);
      expect(JSON.stringify(lost.body)).not.toContain('test-2026');
      await expect(stack.database.db.apiKey.count({ where: { name: keyRequest.name } })).resolves.toBe(1);
    } finally {
      await Promise.all([rotated.close(), retired.close()]);
    }
  }, 60_000);

  it('an answer stored before the key ring sealed answers (a key derived from SIGNING_SECRET) still answers its retry', async () => {
    const match = await stack.createMatch();
    const key = randomUUID();
    const note = { text: '以前の形式で保存された応答' };
    const first = await stack.api.request('POST', `/matches/${match.id}/notes`, note, keyed(key));
    expect(first.status).toBe(200);
    // The row as the release before wrote it.
    const row = await stack.database.db.idempotentRequest.findFirstOrThrow({
      where: { route: '/matches/:id/notes' },
      orderBy: { createdAt: 'desc' },
    });
    await stack.database.db.idempotentRequest.update({
      where: { id: row.id },
      data: { answer: sealedTheOldWay({ kind: 'result', status: 200, body: first.body }) },
    });
    const again = await stack.api.request('POST', `/matches/${match.id}/notes`, note, keyed(key));
    expect([again.status, again.body, again.headers.get('idempotent-replayed')]).toEqual([200, first.body, 'true']);
    expect(await updatesTaken(stack, match.id, 'addNote')).toBe(1);
  }, 60_000);
});
