import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ZApiEnv } from '../../api/env';
import { temporalCli } from '../../dev/temporal-binaries';
import { devCodecEndpoint, devServerArgs, devUiOrigins } from '../../dev/temporal-dev-server';
import { freePort } from '../support/http';

// `./dev/start` runs the dev server with devServerArgs(); this runs the same command line and asks its Web UI's server
// what the browser will be told, so the codec endpoint is checked where the UI reads it, not in our own code.
describe('the dev stack: the Temporal Web UI decodes payloads through the API', () => {
  let server: ChildProcess;
  let dir: string;
  let ports: { temporal: number; ui: number; api: number };

  beforeAll(async () => {
    const cli = temporalCli();
    if (cli.type !== 'existing-path')
      throw new Error('the Temporal CLI is not installed (npx tsx dev/temporal-binaries.ts)');
    ports = { temporal: await freePort(), ui: await freePort(), api: await freePort() };
    dir = mkdtempSync(path.join(os.tmpdir(), 'bansou-dev-ui-'));
    server = spawn(cli.path, devServerArgs(ports, path.join(dir, 'temporal.sqlite')), { stdio: 'ignore' });
  });

  afterAll(async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves the UI's settings with the API's codec endpoint, which lets that UI's origin in", async () => {
    const settingsUrl = `http://127.0.0.1:${ports.ui}/api/v1/settings`;
    let settings: { Codec?: { Endpoint?: string } } | undefined;
    for (let tries = 0; !settings && tries < 120; tries++) {
      const response = await fetch(settingsUrl).catch(() => undefined);
      if (response?.ok) settings = (await response.json()) as typeof settings;
      else await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(settings?.Codec?.Endpoint).toBe(`http://localhost:${ports.api}/codec`);
    expect(settings!.Codec!.Endpoint).toBe(devCodecEndpoint(ports.api));
    // The API's CORS list, as ./dev/start sets it, holds the origin the UI is opened at.
    const apiEnv = ZApiEnv.shape.TEMPORAL_UI_ORIGIN.parse(devUiOrigins(ports.ui).join(','));
    expect(apiEnv).toContain(`http://localhost:${ports.ui}`);
  });
});
