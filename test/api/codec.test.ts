import type { Payload } from '@temporalio/common';
import { createApp } from '../../api/app';
import type { ApiDeps } from '../../api/deps';
import { ZPayloadKeysEnv } from '../../config/env';
import { EncryptionCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../temporal/payload-codec';
import { lazyClient, temporalSettings } from '../../temporal/connection';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { seedProgram, unique } from '../support/fixtures';
import { reserveServer, type TestServer } from '../support/http';
import { keyHeaders } from '../support/keys';
import { testDataConverter, testKeyRing } from '../support/temporal';
import { signedInClient, type WebClient } from '../support/web-client';

const UI_ORIGIN = 'http://temporal-ui.bansou.test:8233';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const json = (value: unknown) => ({ metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify(value)) });
type JsonPayload = { metadata: Record<string, string>; data: string };
const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

/**
 * The codec endpoint the Temporal Web UI calls, over real HTTP against real Postgres (keys and sessions), with the
 * data converter every bansou process uses: what it encodes the worker decodes and the other way round; admins only;
 * only the configured UI origin gets past CORS; a malformed body is a 400 naming the field.
 */
describe('codec endpoint for the Temporal Web UI (/codec/encode, /codec/decode)', () => {
  let database: TestDatabase;
  let api: TestServer;
  let adminKey: Record<string, string>;
  let admin: WebClient;
  let manager: WebClient;
  let programId: string;
  const codec = testDataConverter().payloadCodecs![0]!;

  beforeAll(async () => {
    database = await createTestDatabase();
    const reserved = await reserveServer();
    const db = database.db;
    const deps: ApiDeps = {
      db,
      // Never reached: the codec endpoint does not talk to Temporal.
      temporal: lazyClient(temporalSettings({ TEMPORAL_ADDRESS: '127.0.0.1:1', TASK_QUEUE: 'codec' })),
      taskQueue: 'codec',
      keys: testKeyRing(),
      links: {
        publicBaseUrl: `http://127.0.0.1:${reserved.port}`,
        signingSecret: 'codec-test-signing-secret-0123456789ab',
      },
      checkSmtp: async () => undefined,
      codec: { codecs: [codec], uiOrigins: [UI_ORIGIN] },
    };
    api = reserved.serve(createApp(deps));
    adminKey = await keyHeaders(db, 'admin');
    const adminEmail = `admin.${unique('codec')}@npo.example.jp`;
    await db.account.create({ data: { email: adminEmail, admin: true, markedBy: 'test' } });
    admin = await signedInClient({ api, deps }, adminEmail);
    // A program manager: signed in to the workspace, but no admin.
    const program = await seedProgram(db);
    programId = program.id;
    const pmEmail = `pm.${unique('codec')}@pref.example.jp`;
    const person = await db.person.create({
      data: { programId: program.id, email: pmEmail, name: '事務局', role: 'program_manager' },
    });
    await db.programManager.create({ data: { programId: program.id, personId: person.id } });
    manager = await signedInClient({ api, deps }, pmEmail);
  });
  afterAll(async () => {
    await api?.close();
    await database?.drop();
  });

  it('encodes as the worker does and decodes what the worker encoded, payload by payload, in order', async () => {
    const values = [{ email: 'hanako@example.jp', comment: '週1回の打ち合わせ' }, 'テキスト', 42];
    const encoded = await api.request('POST', '/codec/encode', { payloads: values.map(json) }, adminKey);
    expect(encoded.status).toBe(200);
    expect(encoded.body.payloads).toHaveLength(3);
    for (const payload of encoded.body.payloads as JsonPayload[]) {
      expect(Buffer.from(payload.metadata.encoding!, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
      expect(Buffer.from(payload.metadata[KEY_ID_METADATA]!, 'base64').toString()).toBe('test-2026');
      expect(Buffer.from(payload.data, 'base64').includes(Buffer.from('hanako@example.jp'))).toBe(false);
    }
    // The worker's codec reads what the endpoint wrote.
    const byWorker = await codec.decode((encoded.body.payloads as JsonPayload[]).map(fromJson));
    expect(byWorker.map(toJson)).toEqual(values.map(json));

    // And the endpoint reads what the worker wrote, a payload stored in clear passing through as it is.
    const written = (await codec.encode(values.map(json).map(fromJson))).map(toJson);
    const decoded = await api.request('POST', '/codec/decode', { payloads: [...written, json('clear')] }, adminKey);
    expect(decoded.status).toBe(200);
    expect(decoded.body).toEqual({ payloads: [...values.map(json), json('clear')] });
  });

  it('answers only admins: 401 without credentials or with a bad key, 403 for a key or a person who is no admin', async () => {
    const body = { payloads: [json('x')] };
    const none = await api.request('POST', '/codec/decode', body);
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(none.body.detail).toMatch(/admin API key|sign in/);
    expect((await api.request('POST', '/codec/decode', body, { authorization: 'Bearer bsk_nope' })).status).toBe(401);
    const coordinatorKey = await keyHeaders(database.db, 'coordinator', [programId]);
    expect((await api.request('POST', '/codec/decode', body, coordinatorKey)).status).toBe(403);
    const managerKey = await keyHeaders(database.db, 'program_manager', [programId]);
    expect((await api.request('POST', '/codec/encode', body, managerKey)).status).toBe(403);

    // The workspace's session cookie, as the UI sends it with "include credentials".
    const headers = { 'content-type': 'application/json', origin: UI_ORIGIN, 'sec-fetch-site': 'same-site' };
    const asAdmin = await admin.post('/codec/decode', {}, headers);
    expect(asAdmin.status).toBe(400); // signed in: only the (form) body is wrong
    const byManager = await manager.post('/codec/decode', {}, headers);
    expect(byManager.status).toBe(403);
  });

  it("lets the configured UI origin in (preflight and request, with the admin's cookie) and no other", async () => {
    const preflight = (origin: string) =>
      fetch(`${api.url}/codec/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace',
        },
      });
    const allowed = await preflight(UI_ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('access-control-allow-methods')).toBe('POST');
    expect(allowed.headers.get('access-control-allow-headers')).toEqual(expect.stringContaining('x-namespace'));
    expect(allowed.headers.get('vary')).toMatch(/origin/i);

    for (const origin of ['http://evil.example', 'http://temporal-ui.bansou.test:8234', 'null']) {
      const refused = await preflight(origin);
      expect({ origin, status: refused.status, allow: refused.headers.get('access-control-allow-origin') }).toEqual({
        origin,
        status: 403,
        allow: null,
      });
    }
    // Not even an admin key gets an answer to a page of another origin.
    const foreign = await api.request(
      'POST',
      '/codec/decode',
      { payloads: [] },
      { ...adminKey, origin: 'http://evil.example' },
    );
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();

    // The UI's request itself, with the admin's session cookie: answered, and readable by the UI's page.
    const cookie = [...admin.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const written = (await codec.encode([fromJson(json({ note: '面談メモ' }))])).map(toJson);
    const res = await fetch(`${api.url}/codec/decode`, {
      method: 'POST',
      headers: { origin: UI_ORIGIN, cookie, 'content-type': 'application/json', 'x-namespace': 'default' },
      body: JSON.stringify({ payloads: written }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(await res.json()).toEqual({ payloads: [json({ note: '面談メモ' })] });
  });

  it('answers a malformed body or a payload it cannot decrypt with a 400 naming the field', async () => {
    const missing = await api.request('POST', '/codec/decode', {}, adminKey);
    expect(missing.status).toBe(400);
    expect(missing.body.errors.map((e: { field: string }) => e.field)).toEqual(['payloads']);

    const notBase64 = await api.request('POST', '/codec/encode', { payloads: [json(1), { data: '***' }] }, adminKey);
    expect(notBase64.status).toBe(400);
    expect(notBase64.body.errors).toEqual([{ field: 'payloads[1].data', message: 'must be base64' }]);

    const notJson = await api.request('POST', '/codec/decode', '{"payloads": [', adminKey);
    expect(notJson.status).toBe(400);

    // Encrypted with a key this process does not have (another deployment's, or one taken out of the list).
    const [otherKey] = ZPayloadKeysEnv.parse({
      PAYLOAD_ENCRYPTION_KEYS: `retired-2025:${Buffer.alloc(32, 7).toString('base64')}`,
    }).PAYLOAD_ENCRYPTION_KEYS;
    const foreign = (await new EncryptionCodec([otherKey!]).encode([fromJson(json('x'))])).map(toJson);
    const mine = (await codec.encode([fromJson(json('y'))])).map(toJson);
    const unknown = await api.request('POST', '/codec/decode', { payloads: [...mine, ...foreign] }, adminKey);
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([{ field: 'payloads[1]', message: expect.stringContaining('"retired-2025"') }]);
    // Altered ciphertext is refused too, never answered as something else.
    const altered = {
      ...mine[0]!,
      data: Buffer.from(Buffer.from(mine[0]!.data, 'base64').map((b, i) => (i === 20 ? b ^ 1 : b))).toString('base64'),
    };
    const tampered = await api.request('POST', '/codec/decode', { payloads: [altered] }, adminKey);
    expect(tampered.status).toBe(400);
    expect(tampered.body.errors[0].field).toBe('payloads[0]');
  });
});
