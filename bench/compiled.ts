import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../dev/env';

/**
 * What the images run (`Dockerfile`): the TypeScript compiled to JavaScript beside its sources by
 * `tsc -p tsconfig.build.json`, started by plain `node`, no tsx. Built in a scratch copy of the sources under the data
 * directory (`bench-compiled/`), so no JavaScript is left in the tree; its `node_modules` is the project's. The
 * benchmark's `--compiled` starts the API and the workers from it: tsx keeps its own threads and every transpiled
 * module's source in the process, which the image's worker does not carry (README, "Performance").
 */
export async function compileAsImage(dataDir: string): Promise<string> {
  const root = path.join(dataDir, 'bench-compiled');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  // What the Dockerfile's build stage copies before it compiles.
  for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'prisma.config.ts']) {
    cpSync(path.join(PROJECT_ROOT, file), path.join(root, file));
  }
  for (const folder of [
    'prisma',
    'config',
    'telemetry',
    'temporal',
    'workflows',
    'activities',
    'worker',
    'api',
    'cli',
  ]) {
    cpSync(path.join(PROJECT_ROOT, folder), path.join(root, folder), { recursive: true });
  }
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  await promisify(execFile)(path.join(PROJECT_ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], {
    cwd: root,
  });
  return root;
}
