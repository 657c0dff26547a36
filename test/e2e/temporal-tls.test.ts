import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { matchIdFor, matchWorkflowId } from '../../workflows/shared';
import { makeTestCertificates, type TestCertificates } from '../support/certificates';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ALWAYS_SEND, matchRequest, seedProgram, unique } from '../support/fixtures';
import { freePort } from '../support/http';
import { keyHeaders } from '../support/keys';
import { API_READY, WORKER_READY, startProcess, type RunningProcess } from '../support/processes';
import { startSmtpListener, type SmtpListener } from '../support/smtp';
import { createDevServerEnv, testProcessEnv } from '../support/temporal';
import { startTlsProxy, type TlsProxy } from '../support/tls-proxy';

/**
 * Temporal behind TLS with client certificates (mTLS), as a self-hosted cluster or Temporal Cloud is: a TLS-terminating
 * proxy with certificates made here stands in front of the dev server, and the API and the worker, real processes,
 * reach Temporal only through it with the TEMPORAL_TLS_* variables. A certificate the server refuses, none where it
 * asks for one, or a server certificate no given CA signed stops a process at start-up (exit 78) with the variable
 * to fix named.
 */
describe('Temporal over mTLS (dev server behind a TLS proxy, real processes)', () => {
  let env: TestWorkflowEnvironment;
  let database: TestDatabase;
  let smtp: SmtpListener;
  let certs: TestCertificates;
  let proxy: TlsProxy;
  const processes: RunningProcess[] = [];

  beforeAll(async () => {
    certs = makeTestCertificates();
    [env, database, smtp] = await Promise.all([createDevServerEnv(), createTestDatabase(), startSmtpListener()]);
    const [host, port] = env.address.split(':');
    proxy = await startTlsProxy({
      target: { host: host!, port: Number(port) },
      cert: certs.server.cert,
      key: certs.server.key,
      clientCa: certs.ca.cert,
    });
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await proxy?.close();
    await Promise.all([env?.teardown(), database?.drop(), smtp?.close()]);
    certs?.remove();
  });

  /** An API's and a worker's environment, Temporal reached through the proxy; `tls` are the TLS variables. */
  const envFor = (apiPort: number, tls: Record<string, string>) => ({
    ...testProcessEnv(),
    TEMPORAL_ADDRESS: proxy.address,
    ...tls,
    TASK_QUEUE: unique('tls'),
    DATABASE_URL: database.url,
    SMTP_URL: smtp.url,
    MAIL_FROM: 'bansou <noreply@bansou.test>',
    PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
    SIGNING_SECRET: 'e2e-tls-signing-secret-0123456789abcdef',
    PORT: String(apiPort),
    HOST: '127.0.0.1',
  });
  /** The CA that signed the proxy's certificate; the client certificate that CA signed and its key. */
  const serverCa = () => ({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca.certPath });
  const clientCert = () => ({
    TEMPORAL_TLS_CLIENT_CERT_PATH: certs.client.certPath,
    TEMPORAL_TLS_CLIENT_KEY_PATH: certs.client.keyPath,
  });

  /** Starts `entry`, which must stop before it is ready: its exit code and what it said. */
  const refusedStart = async (entry: string, environment: Record<string, string>) => {
    const error = await startProcess(entry, entry, environment, /$^/).then(
      () => undefined,
      (e: Error) => e.message,
    );
    if (error === undefined) throw new Error(`${entry} started`);
    const found = /exited \((\w+)\) before it was ready:\n([\s\S]*)$/.exec(error);
    return { code: found?.[1], output: found?.[2] ?? error };
  };

  it('runs a match through mTLS: the API starts its workflow and the worker sends its emails', async () => {
    const apiPort = await freePort();
    const environment = envFor(apiPort, { ...serverCa(), ...clientCert() });
    // The API takes the same certificate as PEM text (as a secret store hands it over).
    const apiEnvironment = {
      ...environment,
      TEMPORAL_TLS_CLIENT_CERT_PATH: '',
      TEMPORAL_TLS_CLIENT_KEY_PATH: '',
      TEMPORAL_TLS_CLIENT_CERT_DATA: certs.client.cert,
      TEMPORAL_TLS_CLIENT_KEY_DATA: certs.client.key,
    };
    processes.push(
      ...(await Promise.all([
        startProcess('api', 'api/main.ts', apiEnvironment, API_READY),
        startProcess('worker', 'worker/main.ts', environment, WORKER_READY),
      ])),
    );
    const program = await seedProgram(database.db, unique('tls'), 'TLSテスト', ALWAYS_SEND);
    const admin = await keyHeaders(database.db, 'admin');
    const request = matchRequest(program.id);
    const registered = await fetch(`http://127.0.0.1:${apiPort}/matches`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    expect(registered.status).toBe(201);
    // The worker ran the workflow's first emails; the workflow is in Temporal, reached here without the proxy.
    const emails = await smtp.waitFor(3);
    expect(emails.map((e) => e.to)).toEqual(
      expect.arrayContaining([request.host.email, request.talent.email, request.coordinator.email]),
    );
    const described = await env.client.workflow
      .getHandle(matchWorkflowId(matchIdFor(program.id, request.id)))
      .describe();
    expect(described.taskQueue).toBe(environment.TASK_QUEUE);
    const ready = await fetch(`http://127.0.0.1:${apiPort}/readyz`);
    expect(ready.status).toBe(200);
    // Every connection the proxy let through carried the client certificate; none was refused.
    expect(proxy.accepted.length).toBeGreaterThanOrEqual(2);
    expect(new Set(proxy.accepted)).toEqual(new Set(['bansou-worker']));
    expect(proxy.refused).toEqual([]);
  });

  it('stops the worker and the API at start-up, naming the variable, when the server refuses their certificate', async () => {
    const environment = envFor(await freePort(), {
      ...serverCa(),
      TEMPORAL_TLS_CLIENT_CERT_PATH: certs.strangerClient.certPath,
      TEMPORAL_TLS_CLIENT_KEY_PATH: certs.strangerClient.keyPath,
    });
    const refusedBefore = proxy.refused.length;
    const [worker, api] = await Promise.all([
      refusedStart('worker/main.ts', environment),
      refusedStart('api/main.ts', environment),
    ]);
    for (const { code, output } of [worker, api]) {
      expect(code).toBe('78');
      expect(output).toContain(
        `TEMPORAL_TLS_CLIENT_CERT_PATH: was refused by Temporal at ${proxy.address} (subject "CN=stranger", issued by "CN=bansou test other-ca")`,
      );
      expect(output).not.toContain('bansou api: listening');
      // One screen for an operator: no stack trace.
      expect(output).not.toMatch(/\n\s+at /);
    }
    expect(proxy.refused.length).toBeGreaterThan(refusedBefore);
  });

  it('names the missing client certificate when the server asks for one, and the CA when none signed the server', async () => {
    const withoutCert = envFor(await freePort(), serverCa());
    const withoutCa = envFor(await freePort(), clientCert());
    const [noCert, noCa] = await Promise.all([
      refusedStart('worker/main.ts', withoutCert),
      refusedStart('api/main.ts', withoutCa),
    ]);
    expect(noCert.code).toBe('78');
    expect(noCert.output).toContain(
      `TEMPORAL_TLS_CLIENT_CERT_PATH: is not set, and Temporal at ${proxy.address} asks for a client certificate (mTLS): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH`,
    );
    expect(noCa.code).toBe('78');
    expect(noCa.output).toMatch(
      /TEMPORAL_TLS_SERVER_CA_CERT_PATH: is not set, and the certificate Temporal at 127\.0\.0\.1:\d+ shows is not signed by a CA this machine trusts \(\w+\): set it to the CA's certificate/,
    );
  });
});
