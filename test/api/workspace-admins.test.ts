import { DEV_ADMIN, devAdminSignIn } from '../../dev/admin-sign-in';
import { unique } from '../support/fixtures';
import { createDevStack, type DevStack } from '../support/stack';
import { csrfIn, signedInClient, WebClient } from '../support/web-client';

/**
 * The admins page (`/workspace/admins`) over HTTP against the real API and Postgres: an admin marks another admin and
 * ends someone's sessions everywhere; a person who is not an admin is refused the page and its forms.
 */
describe('workspace admins page', () => {
  let stack: DevStack;
  let admin: string;
  let coordinator: string;

  beforeAll(async () => {
    stack = await createDevStack();
    admin = `admin.${unique('adm')}@npo.example.jp`;
    await stack.database.db.account.create({ data: { email: admin, admin: true, markedBy: 'cli' } });
    coordinator = (await stack.createMatch()).coordinator.email;
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('refuses a person who is not an admin: no page, no form, and nothing changes', async () => {
    const client = await signedInClient(stack, coordinator);
    const today = await client.get('/workspace');
    expect(today.text).not.toContain('href="/workspace/admins"');
    expect((await client.get('/workspace/admins')).status).toBe(403);
    const csrf = csrfIn(today.text);
    expect((await client.post('/workspace/admins', { csrf, email: coordinator })).status).toBe(403);
    expect((await client.post('/workspace/admins/sign-out', { csrf, email: admin })).status).toBe(403);
    expect((await client.post('/workspace/admins/remove', { csrf, email: admin })).status).toBe(403);
    const db = stack.database.db;
    expect((await db.account.findUnique({ where: { email: coordinator } }))?.admin ?? false).toBe(false);
    expect(await db.account.findUniqueOrThrow({ where: { email: admin } })).toMatchObject({ admin: true });
    expect(await db.webSession.count({ where: { email: admin, revokedAt: { not: null } } })).toBe(0);
  });

  it('an admin marks another admin, who then has the page; an address that is not one is refused naming it', async () => {
    const client = await signedInClient(stack, admin);
    const person = await signedInClient(stack, coordinator);
    const page = await client.get('/workspace/admins');
    expect(page.status).toBe(200);
    expect(page.text).toContain(admin);
    expect(page.text).not.toContain(coordinator);

    const bad = await client.submit('/workspace/admins', '/workspace/admins', { email: 'not-an-address' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('メールアドレスの形式で入力してください');

    const marked = await client.submit('/workspace/admins', '/workspace/admins', { email: coordinator.toUpperCase() });
    expect(marked.status).toBe(200);
    expect(marked.text).toContain(`${coordinator} を管理者にしました。`);
    const row = await stack.database.db.account.findUniqueOrThrow({ where: { email: coordinator } });
    expect(row.admin).toBe(true);
    expect(row.markedBy).toBeTruthy();
    expect(row.markedBy).not.toBe('cli');
    // The person's session already has it: the role is read per request, not stored in the session.
    expect((await person.get('/workspace/admins')).status).toBe(200);

    const removed = await client.submit('/workspace/admins', '/workspace/admins/remove', { email: coordinator });
    expect(removed.text).toContain(`${coordinator} を管理者から外しました。`);
    expect((await person.get('/workspace/admins')).status).toBe(403);
  });

  it("ends every session of a person: each of their browsers is signed out, the admin's is not", async () => {
    const client = await signedInClient(stack, admin);
    const phone = await signedInClient(stack, coordinator);
    const laptop = await signedInClient(stack, coordinator);
    expect((await phone.get('/workspace')).status).toBe(200);

    const ended = await client.submit('/workspace/admins', '/workspace/admins/sign-out', { email: coordinator });
    expect(ended.status).toBe(200);
    expect(ended.text).toContain(`${coordinator} のすべてのセッションを終了しました。`);
    for (const browser of [phone, laptop]) {
      const after = await browser.get('/workspace');
      expect([after.status, after.location]).toEqual([303, '/workspace/sign-in']);
    }
    expect(await stack.database.db.webSession.count({ where: { email: coordinator, revokedAt: null } })).toBe(0);
    expect((await client.get('/workspace/admins')).status).toBe(200);
  });

  it("the dev stack's sign-in link (printed by ./dev/start) signs the local admin in, once", async () => {
    const link = await devAdminSignIn(stack.database.url, stack.deps.links.signingSecret, stack.api.url);
    expect(link.startsWith(`${stack.api.url}/workspace/sign-in/`)).toBe(true);
    const client = new WebClient(stack.api.url);
    const path = link.slice(stack.api.url.length);
    const page = await client.get(path);
    expect(page.status).toBe(200);
    const done = await client.post(path, { csrf: csrfIn(page.text) });
    expect([done.status, done.location]).toEqual([303, '/workspace']);
    const admins = await client.get('/workspace/admins');
    expect(admins.status).toBe(200);
    expect(admins.text).toContain(DEV_ADMIN);
    expect((await new WebClient(stack.api.url).get(path)).status).toBe(410);
  });
});
