import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { createApp } from '../../api/app';
import type { RouteDef } from '../../api/routing';
import { devEnv, PROJECT_ROOT } from '../../dev/env';
import { schemathesisPath } from '../../dev/schemathesis';
import { createDevStack, type DevStack } from '../support/stack';

/**
 * schemathesis against the real stack (Temporal dev server, real Postgres, a worker, the API over HTTP) with every
 * check on: no 5xx, and no status, header, content type or body that /openapi.json does not describe. The suite runs
 * a bounded pass with a fixed seed (about two minutes); `npm run fuzz` runs deeper, with a new seed each time.
 */
const REPORTS = path.join(PROJECT_ROOT, 'test-artifacts', 'schemathesis');
const EXAMPLES = devEnv().BANSOU_FUZZ_EXAMPLES ?? 5;
const SEED = devEnv().BANSOU_FUZZ_SEED ?? (devEnv().BANSOU_FUZZ_EXAMPLES ? undefined : 1);

type Def = RouteDef<z.ZodType, z.ZodType, z.ZodType>;
const POSITIVE_DEFAULT = ['2xx', '3xx', '401', '403', '404', '409', '429'];

/**
 * The run's configuration, from the route declarations: input that fits the schema may still be refused where a
 * route says so, with the status it says (400 for its rules beyond the schema, 422 for the workflow's refusals).
 */
function config(defs: Def[]): string {
  const lines = ['[checks.positive_data_acceptance]', `expected-statuses = ${JSON.stringify(POSITIVE_DEFAULT)}`, ''];
  for (const def of defs) {
    const extra = [...(def.beyondSchema ? ['400'] : []), ...(def.responses[422] ? ['422'] : [])];
    if (!extra.length) continue;
    lines.push(
      '[[operations]]',
      `include-path = ${JSON.stringify(def.path.replace(/:(\w+)/g, '{$1}'))}`,
      `include-method = ${JSON.stringify(def.method.toUpperCase())}`,
      `checks.positive_data_acceptance.expected-statuses = ${JSON.stringify([...POSITIVE_DEFAULT, ...extra])}`,
      '',
    );
  }
  return lines.join('\n');
}

/** The fuzzer while it runs, so a test that times out does not leave it behind. */
let running: ChildProcess | undefined;

function run(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    // Its cache (.schemathesis/) goes with the reports.
    const child = spawn(command, args, {
      cwd: REPORTS,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    running = child;
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

describe('schemathesis: the API as its OpenAPI document says', () => {
  let stack: DevStack;
  beforeAll(async () => {
    stack = await createDevStack({ apiRateLimit: 1_000_000, pageRateLimit: 1_000_000 });
    // Something to act on besides made-up ids: a match with its workflow.
    await stack.createMatch();
  });
  afterAll(async () => {
    running?.kill();
    await stack?.close();
  });

  it(
    'every check, every operation: no server error, nothing outside the spec',
    async () => {
      mkdirSync(REPORTS, { recursive: true });
      const configFile = path.join(REPORTS, 'schemathesis.toml');
      writeFileSync(configFile, config(createApp(stack.deps).locals.routeDefs as Def[]));
      const { code, output } = await run(schemathesisPath(), [
        '--config-file',
        configFile,
        'run',
        `${stack.api.url}/openapi.json`,
        '--checks',
        'all',
        '--header',
        `Authorization: ${stack.adminHeaders.authorization}`,
        '--max-examples',
        String(EXAMPLES),
        ...(SEED === undefined ? [] : ['--seed', String(SEED)]),
        '--workers',
        '1',
        '--request-timeout',
        '20',
        '--report',
        'junit',
        '--report-dir',
        REPORTS,
      ]);
      // The whole report is in test-artifacts/schemathesis/output.txt; the failures and the summary are shown here.
      writeFileSync(path.join(REPORTS, 'output.txt'), output);
      expect(code === 0 ? 'passed' : output.slice(Math.max(0, output.indexOf('FAILURES')))).toBe('passed');
    },
    Math.max(600_000, EXAMPLES * 10_000),
  );
});
