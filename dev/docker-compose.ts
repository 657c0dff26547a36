import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, cpSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { devEnv } from './env';

/**
 * `docker compose` for checking docker-compose.yml where no Docker engine runs. The client is used as installed when
 * it has the compose plugin; otherwise the plugin is built from the Go module proxy into `.tools/` (a few minutes,
 * once) and found through DOCKER_CONFIG.
 */

export const COMPOSE_VERSION = 'v2.40.3';
const MODULE = 'github.com/docker/compose/v2';

const progress = (message: string) => process.stderr.write(`[bansou tools] ${message}\n`);

function works(env: NodeJS.ProcessEnv): boolean {
  return spawnSync('docker', ['compose', 'version'], { env, stdio: 'ignore' }).status === 0;
}

function build(configDir: string): void {
  progress(`building the docker compose plugin ${COMPOSE_VERSION} from the Go module proxy (a few minutes, once)…`);
  const download = JSON.parse(
    execFileSync('go', ['mod', 'download', '-json', `${MODULE}@${COMPOSE_VERSION}`]).toString(),
  ) as {
    Dir: string;
  };
  // `go install` refuses the module (its go.mod has exclude directives), so it is built as the main module.
  const work = mkdtempSync(path.join(os.tmpdir(), 'bansou-compose-'));
  try {
    const src = path.join(work, 'src');
    cpSync(download.Dir, src, { recursive: true });
    execFileSync('chmod', ['-R', 'u+w', src]);
    const plugins = path.join(configDir, 'cli-plugins');
    mkdirSync(plugins, { recursive: true });
    const target = path.join(plugins, 'docker-compose');
    execFileSync(
      'go',
      [
        'build',
        '-trimpath',
        '-ldflags',
        `-s -w -X ${MODULE}/internal.Version=${COMPOSE_VERSION}`,
        '-o',
        `${target}.partial`,
        './cmd',
      ],
      { cwd: src, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    renameSync(`${target}.partial`, target);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The environment under which `docker compose …` works, building the plugin if needed. */
export function dockerComposeEnv(): NodeJS.ProcessEnv {
  if (works(process.env)) return process.env;
  const configDir = path.join(devEnv().BANSOU_TOOLS_DIR, `docker-compose-${COMPOSE_VERSION}`);
  const env = { ...process.env, DOCKER_CONFIG: configDir };
  try {
    accessSync(path.join(configDir, 'cli-plugins', 'docker-compose'), constants.X_OK);
  } catch {
    build(configDir);
  }
  if (!works(env)) throw new Error('docker compose is not available and could not be built');
  return env;
}

if (require.main === module) {
  const env = dockerComposeEnv();
  console.log(execFileSync('docker', ['compose', 'version'], { env }).toString().trim());
}
