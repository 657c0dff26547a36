import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * A local PostgreSQL cluster for the embedded stack and the tests, from Debian's `postgresql` package, kept under
 * `.data/postgres` and listening on loopback only. As root it runs as the `postgres` system user (the server refuses
 * root).
 */

const progress = (message: string) => process.stderr.write(`[bansou postgres] ${message}\n`);

const SUPERUSER = 'bansou';
export const DEFAULT_DATABASE = 'bansou';

function findBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

/** Debian's server binaries; installed with apt-get when missing and this process may do so. */
export function postgresBinDir(): string {
  const found = findBinDir();
  if (found) return found;
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    progress('installing Debian package postgresql…');
    execFileSync('apt-get', ['install', '-y', '-q', 'postgresql'], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    const installed = findBinDir();
    if (installed) return installed;
  }
  throw new Error(
    'PostgreSQL server binaries not found. Install them (apt-get install postgresql) or set DATABASE_URL.',
  );
}

type RunAs = { uid?: number; gid?: number };

function serverUser(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

function chownTree(dir: string, user: RunAs) {
  if (user.uid === undefined || user.gid === undefined) return;
  execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, dir]);
}

export function localUrl(port: number, database = DEFAULT_DATABASE): string {
  return `postgresql://${SUPERUSER}@127.0.0.1:${port}/${database}`;
}

export async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates `database` on the server at `url` unless it exists. */
export async function ensureDatabase(url: string, database: string): Promise<void> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

/**
 * Whether every migration under `migrationsDir` is recorded as applied (finished, not rolled back) in Prisma's
 * `_prisma_migrations` table at `url`. Anything else, including a database without that table, is `false`.
 */
export async function migrationsApplied(url: string, migrationsDir: string): Promise<boolean> {
  const wanted = readdirSync(migrationsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(migrationsDir, d.name, 'migration.sql')))
    .map((d) => d.name);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ migration_name: string }>(
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const applied = new Set(rows.map((r) => r.migration_name));
    return wanted.every((name) => applied.has(name));
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export type LocalPostgres = {
  /** URL of the `bansou` database. */
  url: string;
  port: number;
  /** False when a cluster was already running on this data directory; then stop() leaves it running. */
  startedHere: boolean;
  stop(): Promise<void>;
};

/** Starts (initialising on first use) the cluster in `dataDir` on `port`, or reuses it when it already runs. */
export async function startLocalPostgres(options: {
  dataDir: string;
  port: number;
  logFile: string;
}): Promise<LocalPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const { port } = options;
  const url = localUrl(port);
  if (existsSync(path.join(dataDir, 'postmaster.pid')) && (await canConnect(localUrl(port, 'postgres')))) {
    await ensureDatabase(url, DEFAULT_DATABASE);
    return { url, port, startedHere: false, stop: async () => undefined };
  }

  const bin = postgresBinDir();
  const user = serverUser();
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    progress(`initialising a cluster in ${dataDir}…`);
    // The parents stay world-traversable so the postgres user can reach its own directory.
    mkdirSync(path.dirname(dataDir), { recursive: true });
    mkdirSync(dataDir, { mode: 0o700 });
    chownTree(dataDir, user);
    execFileSync(
      path.join(bin, 'initdb'),
      ['-D', dataDir, '-U', SUPERUSER, '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-instructions'],
      { stdio: ['ignore', 'ignore', 'inherit'], cwd: os.tmpdir(), ...user },
    );
    // Loopback only, no Unix socket (its default directory is not writable by every user), trust on loopback.
    writeFileSync(path.join(dataDir, 'pg_hba.conf'), 'host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n');
    chownTree(dataDir, user);
  }

  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = openSync(options.logFile, 'a');
  if (user.uid !== undefined) chownSync(options.logFile, user.uid, user.gid!);
  const child: ChildProcess = spawn(
    path.join(bin, 'postgres'),
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'fsync=on',
    ],
    // Own process group: a terminal's Ctrl-C goes to whoever started us, who stops the server last, in order.
    { stdio: ['ignore', log, log], cwd: os.tmpdir(), detached: true, ...user },
  );
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));

  const deadline = Date.now() + 30_000;
  while (!(await canConnect(localUrl(port, 'postgres')))) {
    if (exited || Date.now() > deadline) {
      const tail = readFileSync(options.logFile, 'utf8').split('\n').slice(-15).join('\n');
      child.kill('SIGKILL');
      throw new Error(`PostgreSQL did not start on port ${port}. Last lines of ${options.logFile}:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await ensureDatabase(url, DEFAULT_DATABASE);
  return {
    url,
    port,
    startedHere: true,
    stop: async () => {
      if (exited) return;
      child.kill('SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
      await exitedPromise;
    },
  };
}
