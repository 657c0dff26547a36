import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ZApiEnv } from '../../api/env';
import { ConfigError, parseEnv } from '../../config/env';
import { describeTemporal, temporalSettings } from '../../temporal/connection';
import { ZWorkerEnv } from '../../worker/env';
import { makeTestCertificates, type TestCertificates } from '../support/certificates';
import { TEST_PAYLOAD_KEYS } from '../support/temporal';

/** The settings each process derives from the standard Temporal client variables (no server needed). */
describe('Temporal connection settings from the environment', () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = makeTestCertificates();
  });
  afterAll(() => certs?.remove());

  const base = {
    DATABASE_URL: 'postgresql://bansou@127.0.0.1:5432/bansou',
    SMTP_URL: 'smtp://127.0.0.1:1025',
    MAIL_FROM: 'bansou <noreply@bansou.example>',
    SIGNING_SECRET: 'a'.repeat(64),
    PAYLOAD_ENCRYPTION_KEYS: TEST_PAYLOAD_KEYS,
  };
  const settings = (vars: Record<string, string>) => temporalSettings(parseEnv(ZWorkerEnv, { ...base, ...vars }));
  const problems = (vars: Record<string, string>) => {
    try {
      parseEnv(ZApiEnv, { ...base, ...vars });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).issues;
    }
    throw new Error('the environment was accepted');
  };

  it('talks to a local server without TLS when nothing is set', () => {
    const s = settings({});
    expect(s).toMatchObject({
      address: '127.0.0.1:7233',
      namespace: 'default',
      taskQueue: 'bansou-matches',
      tls: false,
    });
    expect(describeTemporal(s)).toBe('127.0.0.1:7233 (namespace default, without TLS)');
  });

  it('turns TLS on for an API key (Temporal Cloud) and never shows the key', () => {
    const s = settings({
      TEMPORAL_ADDRESS: 'my-ns.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'my-ns.a1b2c',
      TEMPORAL_API_KEY: 'secret-api-key-value',
    });
    expect(s).toMatchObject({ address: 'my-ns.a1b2c.tmprl.cloud:7233', namespace: 'my-ns.a1b2c', tls: {} });
    expect(s.apiKey).toBe('secret-api-key-value');
    expect(describeTemporal(s)).not.toContain('secret-api-key-value');
    expect(describeTemporal(s)).toContain('over TLS with an API key');
    expect(settings({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }).tls).toBe(false);
  });

  it('reads mTLS files from variables, as paths or as PEM text', () => {
    const byPath = settings({
      TEMPORAL_TLS_CLIENT_CERT_PATH: certs.client.certPath,
      TEMPORAL_TLS_CLIENT_KEY_PATH: certs.client.keyPath,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca.certPath,
      TEMPORAL_TLS_SERVER_NAME: 'localhost',
    });
    const byData = settings({
      TEMPORAL_TLS_CLIENT_CERT_DATA: certs.client.cert,
      TEMPORAL_TLS_CLIENT_KEY_DATA: certs.client.key,
      TEMPORAL_TLS_SERVER_CA_CERT_DATA: certs.ca.cert,
      TEMPORAL_TLS_SERVER_NAME: 'localhost',
    });
    for (const s of [byPath, byData]) {
      expect(s.tls).toMatchObject({ serverName: 'localhost' });
      expect(s.tls && s.tls.clientCert?.toString()).toBe(certs.client.cert);
      expect(s.tls && s.tls.serverCa?.toString()).toBe(certs.ca.cert);
    }
    expect(describeTemporal(byPath)).toContain('over TLS with a client certificate');
  });

  it('reads a profile file (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE); variables override it', () => {
    const file = path.join(certs.dir, 'temporal.toml');
    writeFileSync(
      file,
      [
        '[profile.prod]',
        'address = "temporal.internal.example:7233"',
        'namespace = "bansou-prod"',
        '[profile.prod.tls]',
        `client_cert_path = "${certs.client.certPath}"`,
        `client_key_path = "${certs.client.keyPath}"`,
        `server_ca_cert_path = "${certs.ca.certPath}"`,
        '',
      ].join('\n'),
    );
    const s = settings({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod', TEMPORAL_NAMESPACE: 'bansou-staging' });
    expect(s).toMatchObject({ address: 'temporal.internal.example:7233', namespace: 'bansou-staging' });
    expect(s.tls && s.tls.clientCert?.toString()).toBe(certs.client.cert);
    expect(s.names.clientCert).toBe('profile "prod" of TEMPORAL_CONFIG_FILE (tls.client_cert_*)');

    expect(problems({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'nope' })).toEqual([
      { variable: 'TEMPORAL_PROFILE', message: `is not a profile in ${file}` },
    ]);
    expect(problems({ TEMPORAL_PROFILE: 'prod' })).toEqual([
      { variable: 'TEMPORAL_PROFILE', message: 'needs TEMPORAL_CONFIG_FILE, the file that holds it' },
    ]);
    expect(problems({ TEMPORAL_CONFIG_FILE: path.join(certs.dir, 'missing.toml') })[0]).toMatchObject({
      variable: 'TEMPORAL_CONFIG_FILE',
      message: expect.stringMatching(/^cannot be read/),
    });
  });

  it('names each variable that is wrong, before anything connects', () => {
    expect(problems({ TEMPORAL_ADDRESS: 'https://temporal.example' })[0]).toMatchObject({
      variable: 'TEMPORAL_ADDRESS',
      message: expect.stringContaining('must be host:port'),
    });
    expect(problems({ TEMPORAL_TLS: 'yes' })[0]).toMatchObject({ variable: 'TEMPORAL_TLS' });
    expect(problems({ TEMPORAL_TLS_CLIENT_CERT_PATH: certs.client.certPath })).toEqual([
      {
        variable: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
        message: "is required with TEMPORAL_TLS_CLIENT_CERT_PATH: the certificate's key",
      },
    ]);
    expect(
      problems({
        TEMPORAL_TLS_CLIENT_CERT_PATH: certs.client.certPath,
        TEMPORAL_TLS_CLIENT_KEY_PATH: certs.server.keyPath,
      }),
    ).toEqual([
      {
        variable: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
        message: 'is not the key of the certificate in TEMPORAL_TLS_CLIENT_CERT_PATH',
      },
    ]);
    expect(
      problems({
        TEMPORAL_TLS_CLIENT_CERT_PATH: certs.client.certPath,
        TEMPORAL_TLS_CLIENT_CERT_DATA: certs.client.cert,
        TEMPORAL_TLS_CLIENT_KEY_PATH: certs.client.keyPath,
      }),
    ).toContainEqual({
      variable: 'TEMPORAL_TLS_CLIENT_CERT_DATA',
      message: 'set either TEMPORAL_TLS_CLIENT_CERT_PATH or TEMPORAL_TLS_CLIENT_CERT_DATA, not both',
    });
    expect(problems({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(certs.dir, 'nowhere.crt') })[0]).toMatchObject({
      variable: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
      message: expect.stringMatching(/^cannot be read/),
    });
    expect(problems({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca.keyPath })).toEqual([
      { variable: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', message: 'is not a certificate in PEM' },
    ]);
    expect(problems({ TEMPORAL_TLS_CLIENT_KEY_DATA: 'not pem' })[0]).toMatchObject({
      variable: 'TEMPORAL_TLS_CLIENT_KEY_DATA',
      message: 'must be PEM text (-----BEGIN …)',
    });
  });
});
