import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../dev/env';
import { dockerComposeEnv } from '../../dev/docker-compose';

type ComposeService = {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  ports?: { published: string; target: number }[];
  volumes?: { source: string; target: string }[];
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
      [
        'api',
        'grafana',
        'mail',
        'migrate',
        'postgres',
        'prometheus',
        'temporal',
        'temporal-setup',
        'temporal-ui',
        'worker',
      ].sort(),
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
    // The UI decodes payloads through the API, whose CORS lets exactly that UI in.
    expect(services['temporal-ui']!.environment).toMatchObject({
      TEMPORAL_CODEC_ENDPOINT: 'http://localhost:3000/codec',
      TEMPORAL_CODEC_INCLUDE_CREDENTIALS: 'true',
    });
    expect(services.api!.environment!.TEMPORAL_UI_ORIGIN).toBe('http://localhost:8233');
  });

  it('runs Prometheus on the API and every worker, and Grafana with the bansou dashboard provisioned', () => {
    const { services } = JSON.parse(composeConfig({}).stdout) as { services: Record<string, ComposeService> };
    const mounts = (name: string) => services[name]!.volumes!.map((v) => [v.source, v.target]);
    expect(mounts('prometheus')).toContainEqual([
      path.join(PROJECT_ROOT, 'deploy/prometheus/prometheus.yml'),
      '/etc/prometheus/prometheus.yml',
    ]);
    expect(mounts('grafana')).toEqual(
      expect.arrayContaining([
        [path.join(PROJECT_ROOT, 'deploy/grafana/provisioning'), '/etc/grafana/provisioning'],
        [path.join(PROJECT_ROOT, 'deploy/grafana/bansou.json'), '/var/lib/grafana/dashboards/bansou.json'],
      ]),
    );
    // Prometheus scrapes the API's port and the worker's metrics port by service name (each replica a target).
    const prometheus = readFileSync(path.join(PROJECT_ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8');
    expect(prometheus).toContain(`targets: ['api:${services.api!.environment!.PORT}']`);
    expect(prometheus).toMatch(/names: \['worker'\]\s+type: A\s+port: 9464/);
    expect(services.worker!.environment!.METRICS_PORT ?? '9464').toBe('9464');
    const provisioning = path.join(PROJECT_ROOT, 'deploy/grafana/provisioning');
    expect(readFileSync(path.join(provisioning, 'datasources/prometheus.yml'), 'utf8')).toContain(
      'url: http://prometheus:9090',
    );
    expect(readFileSync(path.join(provisioning, 'dashboards/bansou.yml'), 'utf8')).toContain(
      'path: /var/lib/grafana/dashboards',
    );
  });

  it.each(['SIGNING_SECRET', 'PAYLOAD_ENCRYPTION_KEYS'])('refuses to start without %s, naming it', (name) => {
    const result = composeConfig({ [name]: undefined });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(name);
  });
});
