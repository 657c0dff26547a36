import { spawnSync } from 'node:child_process';
import { PROJECT_ROOT } from '../../dev/env';
import { dockerComposeEnv } from '../../dev/docker-compose';

type ComposeService = {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  ports?: { published: string; target: number }[];
};

/** `docker compose config` with the given extra environment: parses, interpolates and validates the file. */
function composeConfig(extraEnv: Record<string, string | undefined>) {
  const env: NodeJS.ProcessEnv = {
    ...dockerComposeEnv(),
    SIGNING_SECRET: 'compose-check-secret-compose-check-secret',
    PAYLOAD_ENCRYPTION_KEYS: `1:${Buffer.alloc(32, 1).toString('base64')}`,
    ...extraEnv,
  };
  for (const [k, v] of Object.entries(extraEnv)) if (v === undefined) delete env[k];
  return spawnSync('docker', ['compose', '-f', 'docker-compose.yml', 'config', '--format', 'json'], {
    cwd: PROJECT_ROOT,
    env,
    encoding: 'utf8',
  });
}

describe('docker-compose.yml (checked with `docker compose config`; no engine runs here)', () => {
  it('parses, with every image pinned and the API and worker built from the Dockerfile', () => {
    const result = composeConfig({});
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const { services } = JSON.parse(result.stdout) as { services: Record<string, ComposeService> };
    expect(Object.keys(services).sort()).toEqual(
      ['api', 'mail', 'migrate', 'postgres', 'temporal', 'temporal-setup', 'temporal-ui', 'worker'].sort(),
    );
    for (const [name, service] of Object.entries(services)) {
      expect({ name, image: service.image }).toEqual({ name, image: expect.stringMatching(/^[\w./-]+:[\w.-]+$/) });
      expect(service.image).not.toMatch(/:latest$/);
    }
    expect(services.migrate!.build).toBeDefined();
    expect(services.api!.image).toBe('bansou:local');
    expect(services.worker!.image).toBe('bansou:local');
    // Temporal persists to the same PostgreSQL, and bansou's processes get their whole configuration from env.
    expect(services.temporal!.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgres' });
    for (const name of ['api', 'worker']) {
      expect(Object.keys(services[name]!.environment!)).toEqual(
        expect.arrayContaining([
          'TEMPORAL_ADDRESS',
          'DATABASE_URL',
          'SMTP_URL',
          'MAIL_FROM',
          'PUBLIC_BASE_URL',
          'SIGNING_SECRET',
          'PAYLOAD_ENCRYPTION_KEYS',
        ]),
      );
      expect(services[name]!.depends_on).toMatchObject({ migrate: { condition: 'service_completed_successfully' } });
    }
    expect(services['temporal-ui']!.ports).toEqual([expect.objectContaining({ published: '8233', target: 8080 })]);
  });

  it.each(['SIGNING_SECRET', 'PAYLOAD_ENCRYPTION_KEYS'])('refuses to start without %s, naming it', (name) => {
    const result = composeConfig({ [name]: undefined });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(name);
  });
});
