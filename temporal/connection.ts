import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import { isIP } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { Client, type Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { loadClientConfigProfile, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';
import type { z } from 'zod';
import { ConfigError, type TTemporalEnv } from '../config/env';
import { lazyConnection, openConnection } from './client-connection';

/**
 * How every bansou process (worker, API, CLI, dev tools) reaches Temporal: the standard client configuration of the
 * Temporal SDKs (`@temporalio/envconfig`: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, a
 * profile file), checked at start-up so a wrong certificate is named before anything connects.
 */

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_NAMESPACE = 'default';

type Issue = { variable: string; message: string };

type TlsSettings = { serverName?: string; serverCa?: Buffer; clientCert?: Buffer; clientKey?: Buffer };

export type TemporalSettings = {
  address: string;
  namespace: string;
  taskQueue: string;
  apiKey?: string;
  /** `false`: plain gRPC (a local server). */
  tls: TlsSettings | false;
  metadata?: Record<string, string>;
  /** Where each TLS value came from (a variable, or the profile file), to name it in errors. */
  names: { clientCert: string; clientKey: string; serverCa: string };
};

/** The variables envconfig reads, as text (TEMPORAL_TLS was parsed to a boolean). */
function envconfigVariables(env: TTemporalEnv): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('TEMPORAL_') && value !== undefined) vars[name] = String(value);
  }
  return vars;
}

const TLS_FILES = [
  { key: 'clientCert', profileKey: 'clientCert', variable: 'TEMPORAL_TLS_CLIENT_CERT', toml: 'client_cert' },
  { key: 'clientKey', profileKey: 'clientKey', variable: 'TEMPORAL_TLS_CLIENT_KEY', toml: 'client_key' },
  { key: 'serverCa', profileKey: 'serverCACert', variable: 'TEMPORAL_TLS_SERVER_CA_CERT', toml: 'server_ca_cert' },
] as const;

function readProfile(env: TTemporalEnv, issues: Issue[]): ClientConfigProfile | undefined {
  // envconfig refuses a path and PEM text for the same file without naming the variable: named here first.
  for (const { variable } of TLS_FILES) {
    if (env[`${variable}_PATH`] !== undefined && env[`${variable}_DATA`] !== undefined) {
      issues.push({
        variable: `${variable}_DATA`,
        message: `set either ${variable}_PATH or ${variable}_DATA, not both`,
      });
    }
  }
  if (issues.length) return undefined;
  let data: string | undefined;
  if (env.TEMPORAL_CONFIG_FILE) {
    try {
      data = readFileSync(env.TEMPORAL_CONFIG_FILE, 'utf8');
    } catch (error) {
      issues.push({ variable: 'TEMPORAL_CONFIG_FILE', message: `cannot be read (${(error as Error).message})` });
      return undefined;
    }
  } else if (env.TEMPORAL_PROFILE) {
    issues.push({ variable: 'TEMPORAL_PROFILE', message: 'needs TEMPORAL_CONFIG_FILE, the file that holds it' });
    return undefined;
  }
  try {
    // Only the file named by TEMPORAL_CONFIG_FILE: a server never picks up a profile from someone's home directory.
    return loadClientConfigProfile({
      ...(data === undefined ? { disableFile: true } : { configSource: { data } }),
      profile: env.TEMPORAL_PROFILE,
      configFileStrict: true,
      overrideEnvVars: envconfigVariables(env),
    });
  } catch (error) {
    const message = (error as Error).message;
    issues.push(
      /^Profile '.*' not found/.test(message)
        ? { variable: 'TEMPORAL_PROFILE', message: `is not a profile in ${env.TEMPORAL_CONFIG_FILE}` }
        : { variable: 'TEMPORAL_CONFIG_FILE', message: `is not a valid profile file (${message})` },
    );
    return undefined;
  }
}

function readSource(source: ConfigDataSource | undefined): Buffer | undefined {
  if (!source) return undefined;
  if ('path' in source) return readFileSync(source.path);
  return Buffer.from(source.data);
}

function certificate(pem: Buffer): X509Certificate {
  return new X509Certificate(pem);
}

/** Checks a client certificate, its key and the server's CA; returns what it could read, and the issues. */
function readTls(env: TTemporalEnv, profile: ClientConfigProfile, issues: Issue[]) {
  const fromProfile = `profile "${env.TEMPORAL_PROFILE ?? 'default'}" of TEMPORAL_CONFIG_FILE`;
  const names = {} as TemporalSettings['names'];
  const read: Partial<Record<(typeof TLS_FILES)[number]['key'], Buffer>> = {};
  for (const file of TLS_FILES) {
    const pathVar = `${file.variable}_PATH` as const;
    const dataVar = `${file.variable}_DATA` as const;
    names[file.key] =
      env[dataVar] !== undefined
        ? dataVar
        : env[pathVar] !== undefined || !profile.tls?.[file.profileKey]
          ? pathVar
          : `${fromProfile} (tls.${file.toml}_*)`;
    try {
      read[file.key] = readSource(profile.tls?.[file.profileKey]);
    } catch (error) {
      issues.push({ variable: names[file.key], message: `cannot be read (${(error as Error).message})` });
    }
  }

  const { clientCert, clientKey, serverCa } = read;
  const parse = <T>(name: string, what: string, run: () => T): T | undefined => {
    try {
      return run();
    } catch {
      issues.push({ variable: name, message: `is not ${what} in PEM` });
      return undefined;
    }
  };
  if (serverCa) parse(names.serverCa, 'a certificate', () => certificate(serverCa));
  if (clientCert && !clientKey && !issues.some((i) => i.variable === names.clientKey)) {
    issues.push({ variable: names.clientKey, message: `is required with ${names.clientCert}: the certificate's key` });
  }
  if (clientKey && !clientCert && !issues.some((i) => i.variable === names.clientCert)) {
    issues.push({ variable: names.clientCert, message: `is required with ${names.clientKey}: the key's certificate` });
  }
  if (clientCert && clientKey) {
    const cert = parse(names.clientCert, 'a certificate', () => certificate(clientCert));
    const key = parse(names.clientKey, 'a private key', () => createPrivateKey(clientKey));
    if (cert && key && !cert.checkPrivateKey(key)) {
      issues.push({ variable: names.clientKey, message: `is not the key of the certificate in ${names.clientCert}` });
    }
    if (cert) {
      const now = Date.now();
      if (Date.parse(cert.validTo) < now) {
        issues.push({ variable: names.clientCert, message: `expired on ${new Date(cert.validTo).toISOString()}` });
      } else if (Date.parse(cert.validFrom) > now) {
        issues.push({
          variable: names.clientCert,
          message: `is valid only from ${new Date(cert.validFrom).toISOString()}`,
        });
      }
    }
  }
  return { names, clientCert, clientKey, serverCa };
}

/** Everything a process needs to connect, from its environment; `issues` names each variable that is wrong. */
export function resolveTemporal(env: TTemporalEnv): { settings?: TemporalSettings; issues: Issue[] } {
  const issues: Issue[] = [];
  const profile = readProfile(env, issues);
  if (!profile) return { issues };
  const tlsFiles = readTls(env, profile, issues);
  if (issues.length) return { issues };
  // As envconfig decides: TLS when any TLS setting or an API key is given, unless TLS is turned off.
  const tlsOn = profile.tls ? profile.tls.disabled !== true : profile.apiKey !== undefined;
  const settings: TemporalSettings = {
    address: profile.address ?? DEFAULT_TEMPORAL_ADDRESS,
    namespace: profile.namespace ?? DEFAULT_NAMESPACE,
    taskQueue: env.TASK_QUEUE,
    ...(profile.apiKey ? { apiKey: profile.apiKey } : {}),
    tls: tlsOn
      ? {
          ...(profile.tls?.serverName ? { serverName: profile.tls.serverName } : {}),
          ...(tlsFiles.serverCa ? { serverCa: tlsFiles.serverCa } : {}),
          ...(tlsFiles.clientCert ? { clientCert: tlsFiles.clientCert, clientKey: tlsFiles.clientKey } : {}),
        }
      : false,
    ...(profile.grpcMeta && Object.keys(profile.grpcMeta).length ? { metadata: profile.grpcMeta } : {}),
    names: tlsFiles.names,
  };
  return { settings, issues };
}

/** A refinement for each process's environment schema: the Temporal settings must resolve. */
export function checkTemporalEnv(env: TTemporalEnv, ctx: z.RefinementCtx): void {
  for (const issue of resolveTemporal(env).issues) {
    ctx.addIssue({ code: 'custom', path: [issue.variable], message: issue.message });
  }
}

/** The settings of a parsed environment (one `checkTemporalEnv` has passed); a ConfigError otherwise. */
export function temporalSettings(env: TTemporalEnv): TemporalSettings {
  const { settings, issues } = resolveTemporal(env);
  if (!settings) throw new ConfigError(issues);
  return settings;
}

/** One line for logs: where, which namespace, how (never a secret). */
export function describeTemporal(s: TemporalSettings): string {
  const how = !s.tls
    ? 'without TLS'
    : `over TLS${s.tls.clientCert ? ' with a client certificate' : ''}${s.apiKey ? ' with an API key' : ''}`;
  return `${s.address} (namespace ${s.namespace}, ${how})`;
}

function tlsConfig(s: TemporalSettings): TLSConfig | false {
  if (!s.tls) return false;
  return {
    ...(s.tls.serverName ? { serverNameOverride: s.tls.serverName } : {}),
    ...(s.tls.serverCa ? { serverRootCACertificate: s.tls.serverCa } : {}),
    ...(s.tls.clientCert && s.tls.clientKey ? { clientCertPair: { crt: s.tls.clientCert, key: s.tls.clientKey } } : {}),
  };
}

function connectionOptions(s: TemporalSettings) {
  return {
    address: s.address,
    tls: tlsConfig(s),
    ...(s.apiKey ? { apiKey: s.apiKey } : {}),
    ...(s.metadata ? { metadata: s.metadata } : {}),
  };
}

function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(at + 1)) };
}

/** Codes with which a TLS server refuses the client's certificate (or its absence). */
const CLIENT_CERT_REFUSED =
  /CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|DECRYPT_ERROR|ACCESS_DENIED|CERTIFICATE_REVOKED|CERTIFICATE_EXPIRED|UNSUPPORTED_CERTIFICATE/;
/** Codes with which this process refuses the server's certificate. */
const SERVER_CERT_UNTRUSTED =
  /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|CERT_SIGNATURE_FAILURE|CERT_UNTRUSTED)$/;

function subjectOf(pem: Buffer | undefined): string {
  if (!pem) return '';
  const cert = new X509Certificate(pem);
  const line = (dn: string) => dn.split('\n').join(', ');
  return ` (subject "${line(cert.subject)}", issued by "${line(cert.issuer)}")`;
}

/** Turns a failed TLS handshake into the configuration error an operator can act on; `undefined` if it is not one. */
function tlsProblem(s: TemporalSettings, error: NodeJS.ErrnoException & { reason?: string }): Issue | undefined {
  const tls = s.tls as TlsSettings;
  const code = error.code ?? '';
  const where = `Temporal at ${s.address}`;
  if (CLIENT_CERT_REFUSED.test(code)) {
    return tls.clientCert
      ? {
          variable: s.names.clientCert,
          message: `was refused by ${where}${subjectOf(tls.clientCert)}: the server does not accept this client certificate (${error.message.trim()})`,
        }
      : {
          variable: s.names.clientCert,
          message: `is not set, and ${where} asks for a client certificate (mTLS): set ${s.names.clientCert} and ${s.names.clientKey}`,
        };
  }
  if (SERVER_CERT_UNTRUSTED.test(code)) {
    return {
      variable: s.names.serverCa,
      message: tls.serverCa
        ? `did not sign the certificate ${where} shows (${code})`
        : `is not set, and the certificate ${where} shows is not signed by a CA this machine trusts (${code}): set it to the CA's certificate`,
    };
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return { variable: 'TEMPORAL_ADDRESS', message: `${where} shows a certificate that is not valid now (${code})` };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return {
      variable: 'TEMPORAL_TLS_SERVER_NAME',
      message: `${tls.serverName ? 'does not match' : 'is not set, and the host does not match'} the certificate ${where} shows (${error.reason ?? error.message}); set it to a name the certificate carries`,
    };
  }
  if (code === 'EPROTO' || code.startsWith('ERR_SSL_')) {
    return {
      variable: 'TEMPORAL_TLS',
      message: `TLS with ${where} failed (${error.message.trim()}); is TLS on at that address?`,
    };
  }
  return undefined;
}

/**
 * The server closed the connection right after a handshake in which this process showed its client certificate,
 * before its first HTTP/2 frame: what a TLS terminator that checks certificates after the handshake does to one it
 * refuses (nginx, or Node's own TLS server). Without a client certificate such a close says nothing: `undefined`.
 */
function closedAfterHandshake(s: TemporalSettings): Issue | undefined {
  const tls = s.tls as TlsSettings;
  if (!tls.clientCert) return undefined;
  return {
    variable: s.names.clientCert,
    message: `was refused by Temporal at ${s.address}${subjectOf(tls.clientCert)}: it closed the connection right after the TLS handshake, as a server does that does not accept the client certificate (or one with nothing answering behind it)`,
  };
}

/**
 * With TLS on, opens one HTTP/2 connection as the SDK would and waits for the server's first frame: a certificate
 * the server refuses (or one it asks for and is not set), or a server this process cannot trust, becomes a
 * ConfigError naming the variable. A server that cannot be reached is no configuration error: `unreachable`.
 */
export async function checkTemporalTls(s: TemporalSettings, timeoutMs = 5000): Promise<'ok' | 'unreachable' | 'plain'> {
  if (!s.tls) return 'plain';
  const { host, port } = splitAddress(s.address);
  const serverName = s.tls.serverName ?? (isIP(host) ? undefined : host);
  return new Promise((resolve, reject) => {
    // The TLS socket is made here rather than by http2, whose session does not report an alert that arrives after
    // the handshake (a TLS 1.3 server refuses a client certificate then).
    const socket = connectTls({
      host,
      port,
      ALPNProtocols: ['h2'],
      ...(s.tls && s.tls.serverCa ? { ca: s.tls.serverCa } : {}),
      ...(s.tls && s.tls.clientCert ? { cert: s.tls.clientCert, key: s.tls.clientKey } : {}),
      ...(serverName ? { servername: serverName } : {}),
    });
    const session = http2.connect(`https://${host.includes(':') ? `[${host}]` : host}:${port}`, {
      createConnection: () => socket,
    });
    let handshaken = false;
    let settled = false;
    const done = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const emitter of [session, socket]) {
        emitter.removeAllListeners();
        emitter.on('error', () => undefined);
      }
      session.destroy();
      socket.destroy();
      outcome();
    };
    const timer = setTimeout(() => done(() => resolve('unreachable')), timeoutMs);
    socket.once('secureConnect', () => (handshaken = true));
    session.once('remoteSettings', () => done(() => resolve('ok')));
    const failed = (error: NodeJS.ErrnoException) => {
      const problem = tlsProblem(s, error) ?? (handshaken ? closedAfterHandshake(s) : undefined);
      done(() => (problem ? reject(new ConfigError([problem])) : resolve('unreachable')));
    };
    socket.once('error', failed);
    session.once('error', failed);
    const closed = () => {
      const problem = handshaken ? closedAfterHandshake(s) : undefined;
      done(() => (problem ? reject(new ConfigError([problem])) : resolve('unreachable')));
    };
    socket.once('close', closed);
    session.once('close', closed);
  });
}

export type ClientTracing = {
  /**
   * Tracing is on in this process (`telemetry/tracing.ts`): starting, signalling or updating a workflow carries the
   * caller's trace context, so the workflow's spans and its activities' continue the trace of the request that asked
   * for it. Off, the client has no tracing interceptor at all.
   */
  traced?: boolean;
};

const clientOn = (
  connection: Connection,
  s: TemporalSettings,
  dataConverter: DataConverter | undefined,
  { traced = false }: ClientTracing,
): Client =>
  new Client({
    connection,
    namespace: s.namespace,
    ...(dataConverter ? { dataConverter } : {}),
    ...(traced ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {}),
  });

/** A client connection (API, CLI, dev tools); fails if Temporal cannot be reached. */
export async function connectClient(
  s: TemporalSettings,
  dataConverter?: DataConverter,
  tracing: ClientTracing = {},
): Promise<Client> {
  return clientOn(await openConnection(connectionOptions(s)), s, dataConverter, tracing);
}

/** A client that connects on first use, so a process can start while Temporal is still down (the API). */
export function lazyClient(s: TemporalSettings, dataConverter?: DataConverter, tracing: ClientTracing = {}): Client {
  return clientOn(lazyConnection(connectionOptions(s)), s, dataConverter, tracing);
}

/** The worker's connection (the SDK's native one). */
export function connectWorker(s: TemporalSettings): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(s));
}
