import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ZApiEnv } from '../../api/env';
import { PROJECT_ROOT } from '../../dev/env';
import { tracedBundlePath } from '../../worker/bundle';
import { ZWorkerEnv } from '../../worker/env';
import { dockerfileStages, instructionsOf } from './dockerfile';

// No Docker engine runs here: the Dockerfile is read, and its health checks are run as the engine would run them.
const stages = dockerfileStages();
const last = (name: string, keyword: string) => instructionsOf(stages, name, keyword).at(-1);

/** The exec form of a stage's HEALTHCHECK (`CMD ["node", "-e", …]`) and its options. */
function healthcheck(name: string): { options: string; argv: string[] } {
  const match = /^(.*?)\s*CMD\s+(\[.*\])$/.exec(last(name, 'HEALTHCHECK') ?? '');
  if (!match) throw new Error(`stage ${name} has no HEALTHCHECK in exec form`);
  return { options: match[1]!, argv: JSON.parse(match[2]!) as string[] };
}

/** Runs a health check's command with the given environment, as the engine runs it in the container: its exit code. */
function runCheck(argv: string[], env: Record<string, string>): Promise<number | null> {
  // Asynchronously: the server it asks runs in this process.
  const child = spawn(argv[0] === 'node' ? process.execPath : argv[0]!, argv.slice(1), {
    env: { PATH: process.env.PATH, ...env },
    stdio: 'ignore',
    timeout: 10_000,
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('Dockerfile', () => {
  it('builds in stages from the lockfile, and the images run compiled JavaScript as a non-root user', () => {
    expect(stages.map((s) => s.name)).toEqual(
      expect.arrayContaining(['build', 'migrate', 'production-modules', 'runtime', 'worker', 'api']),
    );
    // The default target (the last stage) is the API.
    expect(stages.at(-1)!.name).toBe('api');
    const build = instructionsOf(stages, 'build', 'RUN');
    expect(build).toContain('npm ci --no-audit --no-fund');
    expect(stages.flatMap((s) => s.instructions).filter((i) => /npm (install|i)\b/.test(i))).toEqual([]);
    // Compiled once and the workflow bundle prebuilt, both at build time.
    expect(build).toContainEqual(expect.stringMatching(/tsc -p tsconfig\.build\.json && node worker\/bundle\.js \S+/));
    expect(instructionsOf(stages, 'production-modules', 'RUN')).toContain('npm prune --omit=dev --no-audit --no-fund');
    // tsx is a dev tool, so the pruned modules do not even hold it.
    const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(pkg.dependencies.tsx).toBeUndefined();
    expect(pkg.devDependencies.tsx).toBeDefined();
    expect(last('api', 'CMD')).toBe('["node", "api/main.js"]');
    // The worker's node gets the heap limit of WORKER_MEMORY_MB, printed by the rule itself (`worker/memory.ts`).
    expect(last('worker', 'CMD')).toBe('["sh", "-c", "exec node $(node worker/memory.js) worker/main.js"]');
    expect(last('migrate', 'CMD')).toBe('["node_modules/.bin/prisma", "migrate", "deploy"]');
    for (const name of ['api', 'worker', 'migrate']) {
      expect({ name, user: last(name, 'USER') }).toEqual({ name, user: 'node' });
      expect(instructionsOf(stages, name, 'CMD').join(' ')).not.toContain('tsx');
    }
    // The runtime images are built on the base, not on the build stage: no dev tools, no sources of the tools.
    expect(stages.find((s) => s.name === 'runtime')!.from).toBe('base');
    // The worker loads the bundle built above instead of bundling at start.
    expect(instructionsOf(stages, 'worker', 'ENV')).toContain('WORKFLOW_BUNDLE_PATH=/app/workflow-bundle.js');
    // Both bundles: the worker loads the one for its tracing (`worker/bundle.ts`).
    expect(instructionsOf(stages, 'worker', 'COPY')).toContain(
      `--from=build /app/workflow-bundle.js ${tracedBundlePath('/app/workflow-bundle.js')} ./`,
    );
    // Compiled where the sources are, so the templates and assets found next to the code are found by the JavaScript.
    const buildConfig = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'tsconfig.build.json'), 'utf8')) as {
      compilerOptions: Record<string, unknown>;
    };
    expect(buildConfig.compilerOptions).toMatchObject({ noEmit: false });
    expect(buildConfig.compilerOptions.outDir).toBeUndefined();
  });

  describe.each([
    ['api', 'PORT', ZApiEnv.shape.PORT.parse(undefined)],
    ['worker', 'METRICS_PORT', ZWorkerEnv.shape.METRICS_PORT.parse(undefined)],
  ])('the %s image is healthy while /livez answers on %s', (name, variable, defaultPort) => {
    let server: http.Server;
    let asked: string[];
    beforeAll(async () => {
      asked = [];
      server = http.createServer((req, res) => {
        asked.push(req.url ?? '');
        res.statusCode = req.url === '/livez' ? 200 : 404;
        res.end('{"status":"ok"}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('answers 0 when /livez does, 1 when nothing listens, with the default port of the process', async () => {
      const { options, argv } = healthcheck(name);
      expect(options).toMatch(/--interval=\d+s --timeout=\d+s --start-period=\d+s --retries=\d+/);
      const port = String((server.address() as AddressInfo).port);
      expect(await runCheck(argv, { [variable]: port })).toBe(0);
      expect(asked).toEqual(['/livez']);
      // A port nobody listens on (the server's own, once it is closed, would race; port 1 is never ours).
      expect(await runCheck(argv, { [variable]: '1' })).toBe(1);
      // Unset, the check asks the process's own default port.
      expect(argv.join(' ')).toContain(`process.env.${variable} || ${defaultPort}`);
    });
  });
});
