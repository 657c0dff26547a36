import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Express } from 'express';

// Response bodies are parsed JSON that tests assert on, not data the code relies on; `any` keeps assertions short.
/* eslint-disable @typescript-eslint/no-explicit-any */
export type HttpResponse<T = any> = { status: number; headers: Headers; body: T; text: string };

export type TestServer = {
  url: string;
  request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<HttpResponse<T>>;
  close(): Promise<void>;
};

/** A free loopback port (for a server whose URL must be known before it starts). */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * A free loopback port below Linux's range for the local end of outgoing connections (32768-60999), for a server the
 * test stops and starts again: while it is down, clients retrying it could be given that very port as their own end,
 * connect to themselves (a TCP simultaneous open) and hold it.
 */
export async function freeServerPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const probe = net.createServer();
    const free = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise((resolve) => probe.close(resolve));
      return port;
    }
  }
}

/**
 * Serves an Express app on a loopback port (a free one unless given) and talks to it over real HTTP, with
 * `headers` (e.g. an API key) on every request unless a request says otherwise.
 */
export async function serve(
  app: Express,
  { port = 0, headers = {} }: { port?: number; headers?: Record<string, string> } = {},
): Promise<TestServer> {
  const server = await listening(port);
  server.on('request', app);
  return testServer(server, headers);
}

/**
 * A loopback server already listening on a free port, for an app that must know its own URL before it exists (links in
 * emails): unlike a port probed and released, nobody can take the port in between.
 */
export async function reserveServer(): Promise<{
  port: number;
  serve(app: Express, options?: { headers?: Record<string, string> }): TestServer;
}> {
  const server = await listening(0);
  return {
    port: (server.address() as AddressInfo).port,
    serve: (app, { headers = {} } = {}) => {
      server.on('request', app);
      return testServer(server, headers);
    },
  };
}

async function listening(port: number): Promise<http.Server> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

function testServer(server: http.Server, headers: Record<string, string>): TestServer {
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    request: (method, path, body, extra) => request(url, method, path, body, { ...headers, ...extra }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** One HTTP request; JSON bodies are sent and parsed, a string body is sent as is. */
export async function request<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResponse<T>> {
  const init: RequestInit = { method, headers: { ...headers }, redirect: 'manual' };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${baseUrl}${path}`, init);
  const text = await response.text();
  let parsed: unknown = text;
  if (/json/.test(response.headers.get('content-type') ?? '')) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}
/* eslint-enable @typescript-eslint/no-explicit-any */
