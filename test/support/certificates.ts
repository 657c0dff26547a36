import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A certificate and its key, as PEM files in the test's directory and as text. */
export type CertifiedKey = { certPath: string; keyPath: string; cert: string; key: string };

export type TestCertificates = {
  dir: string;
  /** The CA that signed `server` and `client`. */
  ca: CertifiedKey;
  /** For localhost and 127.0.0.1. */
  server: CertifiedKey;
  /** A client certificate the CA signed (mTLS). */
  client: CertifiedKey;
  /** Another CA, and a client certificate it signed: a server trusting only `ca` refuses it. */
  otherCa: CertifiedKey;
  strangerClient: CertifiedKey;
  remove(): void;
};

/** Makes a small PKI with the machine's `openssl` (offline, about a second), in a directory of its own. */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bansou-certs-'));
  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const read = (name: string): CertifiedKey => ({
    certPath: path.join(dir, `${name}.crt`),
    keyPath: path.join(dir, `${name}.key`),
    cert: readFileSync(path.join(dir, `${name}.crt`), 'utf8'),
    key: readFileSync(path.join(dir, `${name}.key`), 'utf8'),
  });
  const newKey = (name: string) =>
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  const makeCa = (name: string) => {
    newKey(name);
    openssl(
      'req',
      '-x509',
      '-new',
      '-key',
      `${name}.key`,
      '-sha256',
      '-days',
      '3650',
      '-subj',
      `/CN=bansou test ${name}`,
      '-out',
      `${name}.crt`,
    );
  };
  const issue = (name: string, ca: string, subject: string, extensions: string) => {
    newKey(name);
    openssl('req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`);
    writeFileSync(path.join(dir, `${name}.ext`), extensions);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-days',
      '3650',
      '-sha256',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    );
  };
  makeCa('ca');
  makeCa('other-ca');
  issue('server', 'ca', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  issue('client', 'ca', '/CN=bansou-worker', 'extendedKeyUsage=clientAuth\n');
  issue('stranger', 'other-ca', '/CN=stranger', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    ca: read('ca'),
    server: read('server'),
    client: read('client'),
    otherCa: read('other-ca'),
    strangerClient: read('stranger'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
