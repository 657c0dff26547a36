import { createSignInLink } from '../../api/workspace/sessions';
import type { DevStack } from './stack';

export type WebResponse = { status: number; headers: Headers; text: string; location: string | null };

/**
 * A browser without a browser: keeps cookies, follows nothing by itself, posts forms as a browser does
 * (`application/x-www-form-urlencoded`, `Sec-Fetch-Site: same-origin`). For the workspace's HTTP-level tests.
 */
export class WebClient {
  readonly cookies = new Map<string, string>();

  constructor(private readonly baseUrl: string) {}

  private async send(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        'sec-fetch-site': 'same-origin',
        ...headers,
      },
      body,
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return {
      status: response.status,
      headers: response.headers,
      text: await response.text(),
      location: response.headers.get('location'),
    };
  }

  get(path: string, headers?: Record<string, string>): Promise<WebResponse> {
    return this.send('GET', path, undefined, headers);
  }

  post(path: string, form: Record<string, string>, headers?: Record<string, string>): Promise<WebResponse> {
    return this.send('POST', path, new URLSearchParams(form).toString(), headers);
  }

  /** GETs a page, then posts `form` to `action` with the page's CSRF value. */
  async submit(page: string, action: string, form: Record<string, string> = {}): Promise<WebResponse> {
    const csrf = csrfIn((await this.get(page)).text);
    return this.post(action, { csrf, back: page, ...form });
  }
}

/** The CSRF value of the first form in a page. */
export function csrfIn(html: string): string {
  const found = /name="csrf" value="([^"]+)"/.exec(html);
  if (!found) throw new Error('no CSRF value in the page');
  return found[1]!;
}

/** Every `<form method="post">` of a page: its action and its fields with their values as the page gives them. */
export function postForms(html: string): { action: string; fields: Record<string, string> }[] {
  const forms: { action: string; fields: Record<string, string> }[] = [];
  for (const found of html.matchAll(/<form method="post" action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)) {
    const fields: Record<string, string> = {};
    for (const input of found[2]!.matchAll(
      /<(?:input|textarea|select)\b[^>]*\bname="([^"]+)"[^>]*?(?:value="([^"]*)")?[^>]*>/g,
    )) {
      fields[input[1]!] ??= decodeEntities(input[2] ?? 'x');
    }
    forms.push({ action: decodeEntities(found[1]!), fields });
  }
  return forms;
}

const decodeEntities = (s: string) =>
  s
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');

/** A client signed in as `email` (through a sign-in link made directly, then the link's page and button). */
export async function signedInClient(stack: Pick<DevStack, 'api' | 'deps'>, email: string): Promise<WebClient> {
  const client = new WebClient(stack.api.url);
  const token = await createSignInLink(stack.deps, email);
  const page = await client.get(`/workspace/sign-in/${token}`);
  if (page.status !== 200) throw new Error(`sign-in link page: ${page.status}`);
  const done = await client.post(`/workspace/sign-in/${token}`, { csrf: csrfIn(page.text) });
  if (done.status !== 303 || done.location !== '/workspace') throw new Error(`sign-in: ${done.status} ${done.text}`);
  return client;
}
