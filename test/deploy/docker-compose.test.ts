import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../dev/env';
import { dockerComposeEnv } from '../../dev/docker-compose';
import { ZWorkerEnv } from '../../worker/env';
import { workerMemory, workerNodeFlags } from '../../worker/memory';
import { dockerfileStages } from './dockerfile';

type ComposeService = {
  image?: string;
  build?: { context: string; dockerfile: string; target?: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  ports?: { published: string; target: number }[];
  volumes?: { source: string; target: string }[];
  container_name?: string;
  deploy?: { replicas?: number };
  healthcheck?: { test: string[] };
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

const services = () => (JSON.parse(composeConfig({}).stdout) as { services: Record<string, ComposeService> }).services;

/**
 * Runs a one-shot service's shell command (`entrypoint: [/bin/sh, -c]`) here, with its environment, where each
 * program it calls is a script that records its arguments and answers as `answer` says: the commands and their
 * order are checked, not what Temporal's tools then do (no engine runs here).
 */
function runOneShot(service: ComposeService, answer: string): string[] {
  expect(service.entrypoint).toEqual(['/bin/sh', '-c']);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bansou-compose-'));
  try {
    const calls = path.join(dir, 'calls');
    for (const program of ['temporal', 'temporal-sql-tool']) {
      const file = path.join(dir, program);
      writeFileSync(file, `#!/bin/sh\necho "${program} $*" >> '${calls}'\n${answer}\n`);
      chmodSync(file, 0o755);
    }
    writeFileSync(calls, '');
    // `docker compose config` writes a literal $ as $$, as the file does.
    const script = service.command!.join(' ').replaceAll('$$', '$');
    const result = spawnSync('/bin/sh', ['-c', script], {
      env: { ...service.environment, PATH: `${dir}:/usr/bin:/bin` },
      encoding: 'utf8',
    });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    return readFileSync(calls, 'utf8').trim().split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
        'temporal-schema',
        'temporal-setup',
        'temporal-ui',
        'worker',
      ].sort(),
    );
    for (const [name, service] of Object.entries(services)) {
      expect({ name, image: service.image }).toEqual({ name, image: expect.stringMatching(/^[\w./-]+:[\w.-]+$/) });
      expect(service.image).not.toMatch(/:latest$/);
    }
    // bansou's images are built from the Dockerfile's stages of the same names.
    const stageNames = dockerfileStages().map((stage) => stage.name);
    for (const name of ['migrate', 'api', 'worker']) {
      expect(services[name]!.build).toMatchObject({ context: PROJECT_ROOT, target: name });
      expect(stageNames).toContain(name);
      expect(services[name]!.image).toBe(`bansou-${name}:local`);
    }
    // bansou's processes get their whole configuration from env.
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
    // Each worker has a memory budget its schema takes, from which its heap limit and cache are sized.
    const budget = ZWorkerEnv.shape.WORKER_MEMORY_MB.parse(services.worker!.environment!.WORKER_MEMORY_MB);
    expect(workerNodeFlags(services.worker!.environment!)).toEqual([
      `--max-heap-size=${workerMemory(budget!).heapMb}`,
      '--max-semi-space-size=16',
    ]);
    expect(services.api!.environment!.WORKER_MEMORY_MB).toBeUndefined();
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

  it('runs the maintained Temporal server image, its schema set up first by the admin tools of the same release', () => {
    const all = services();
    expect(readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8')).not.toContain('auto-setup');
    const [, serverVersion] = all.temporal!.image!.split(':');
    expect(all.temporal!.image).toBe(`temporalio/server:${serverVersion}`);
    for (const name of ['temporal-schema', 'temporal-setup'])
      expect(all[name]!.image).toMatch(/^temporalio\/admin-tools:/);
    expect(all['temporal-schema']!.image).toBe(`temporalio/admin-tools:${serverVersion}`);
    expect(all['temporal-setup']!.image).toBe(all['temporal-schema']!.image);

    // The order of start: Postgres, the schema job, the server, the namespace job, then bansou.
    expect(all['temporal-schema']!.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' } });
    expect(all.temporal!.depends_on).toEqual({
      'temporal-schema': expect.objectContaining({ condition: 'service_completed_successfully' }),
    });
    expect(all['temporal-setup']!.depends_on).toMatchObject({ temporal: { condition: 'service_healthy' } });
    for (const name of ['api', 'worker']) {
      expect(all[name]!.depends_on).toMatchObject({
        'temporal-setup': { condition: 'service_completed_successfully' },
      });
    }

    // The server's configuration (variables of its embedded config template) names the same Postgres and databases.
    expect(all.temporal!.environment).toEqual({
      DB: 'postgres12',
      DB_PORT: '5432',
      POSTGRES_SEEDS: 'postgres',
      POSTGRES_USER: 'bansou',
      POSTGRES_PWD: 'bansou',
      BIND_ON_IP: '0.0.0.0',
      DYNAMIC_CONFIG_FILE_PATH: '/etc/temporal/config/dynamicconfig/bansou.yaml',
    });
    expect(all.temporal!.volumes!.map((v) => [v.source, v.target])).toEqual([
      [path.join(PROJECT_ROOT, 'deploy/temporal/dynamicconfig.yaml'), '/etc/temporal/config/dynamicconfig/bansou.yaml'],
    ]);
    expect(all.temporal!.healthcheck!.test).toEqual(['CMD', 'nc', '-z', '127.0.0.1', '7233']);
    expect(all['temporal-schema']!.environment).toMatchObject({
      SQL_PLUGIN: 'postgres12',
      SQL_HOST: all.temporal!.environment!.POSTGRES_SEEDS,
      SQL_USER: all.temporal!.environment!.POSTGRES_USER,
      SQL_PASSWORD: all.temporal!.environment!.POSTGRES_PWD,
    });

    // The schema job: each store's database created, versioning set up, then brought to the release's schema.
    const schemaDir = '/etc/temporal/schema/postgresql/v12';
    expect(runOneShot(all['temporal-schema']!, 'exit 0')).toEqual([
      'temporal-sql-tool --db temporal create',
      'temporal-sql-tool --db temporal setup-schema -v 0.0',
      `temporal-sql-tool --db temporal update-schema -d ${schemaDir}/temporal/versioned`,
      'temporal-sql-tool --db temporal_visibility create',
      'temporal-sql-tool --db temporal_visibility setup-schema -v 0.0',
      `temporal-sql-tool --db temporal_visibility update-schema -d ${schemaDir}/visibility/versioned`,
    ]);

    // The namespace job on a new cluster: the namespace and the search attributes it lacks are created.
    const fresh = [
      'case "$*" in',
      '  "operator namespace describe"*) exit 1 ;;',
      '  "operator search-attribute list"*) echo "  BansouStatus   Keyword" ;;',
      'esac',
    ].join('\n');
    expect(all['temporal-setup']!.environment).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233' });
    expect(runOneShot(all['temporal-setup']!, fresh)).toEqual([
      'temporal operator cluster health',
      'temporal operator namespace describe -n default',
      'temporal operator namespace create -n default --retention 30d',
      'temporal operator search-attribute list -n default',
      'temporal operator search-attribute create -n default --name BansouProgramId --type Keyword',
      'temporal operator search-attribute list -n default',
      'temporal operator search-attribute list -n default',
      'temporal operator search-attribute create -n default --name BansouRisk --type Keyword',
    ]);
    // Run again on a cluster that has everything: nothing is created.
    const done = [
      'case "$*" in',
      '  "operator search-attribute list"*) printf "BansouProgramId Keyword\\nBansouStatus Keyword\\nBansouRisk Keyword\\n" ;;',
      'esac',
    ].join('\n');
    expect(runOneShot(all['temporal-setup']!, done).filter((call) => call.includes(' create '))).toEqual([]);
  });

  it('lets workers scale with --scale worker=N: no fixed name or published port on a worker', () => {
    const all = services();
    expect(all.worker!.container_name).toBeUndefined();
    expect(all.worker!.ports).toBeUndefined();
    expect(all.worker!.deploy!.replicas).toBeGreaterThan(1);
    for (const [name, service] of Object.entries(all)) {
      expect({ name, container_name: service.container_name }).toEqual({ name, container_name: undefined });
    }
    // Health comes from the images' HEALTHCHECK (see dockerfile.test.ts), not from a second copy here.
    for (const name of ['api', 'worker']) expect(all[name]!.healthcheck).toBeUndefined();
  });

  it.each(['SIGNING_SECRET', 'PAYLOAD_ENCRYPTION_KEYS'])('refuses to start without %s, naming it', (name) => {
    const result = composeConfig({ [name]: undefined });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(name);
  });
});
