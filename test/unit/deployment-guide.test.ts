import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ZApiEnv } from '../../api/env';
import { ZWorkerEnv } from '../../worker/env';

// docs/deployment.md names variables, secrets and patches; this keeps it from drifting from the code.
const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const guide = read('docs/deployment.md');
const compose = read('docker-compose.yml');

/** The text of one `## ` section of the guide. */
function section(title: string): string {
  const start = guide.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`no section ${title}`);
  const end = guide.indexOf('\n## ', start + 1);
  return guide.slice(start, end < 0 ? undefined : end);
}

/** Environment variable names: upper case words with an underscore (`SIGNING_SECRET`, `TEMPORAL_TLS_…`). */
const variablesIn = (text: string) => new Set(text.match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g) ?? []);

/** What the processes read (their zod schemas; the CLI's is made of the same fragments). */
const schemaVariables = new Set([...Object.keys(ZApiEnv.shape), ...Object.keys(ZWorkerEnv.shape)]);
/** What Node reads itself (the guide tells how to bound the worker's heap with it). */
const runtimeVariables = new Set(['NODE_OPTIONS']);
/** What the compose file itself reads (`${NAME…}`). */
const composeVariables = new Set([...compose.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));

/** The ids given to `patched()` / `deprecatePatch()` in workflows/, by literal or by a constant. */
function patchIdsInCode(): Set<string> {
  const files = readdirSync(path.join(ROOT, 'workflows'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => readFileSync(path.join(ROOT, 'workflows', file), 'utf8'));
  const source = files.join('\n');
  const constants = new Map(
    [...source.matchAll(/const ([A-Z][A-Z0-9_]*) = '([a-z0-9-]+)'/g)].map((m) => [m[1]!, m[2]!] as const),
  );
  const ids = new Set<string>();
  for (const m of source.matchAll(/\b(?:patched|deprecatePatch)\(\s*(?:'([a-z0-9-]+)'|([A-Z][A-Z0-9_]*))\s*\)/g)) {
    const id = m[1] ?? constants.get(m[2]!);
    if (!id) throw new Error(`patch id ${m[2]} is not a string constant in workflows/`);
    ids.add(id);
  }
  return ids;
}

/** The ids in the first column of a markdown table whose header's first cell is `Patch id`. */
function patchIdsInTable(text: string): Set<string> {
  const table = text.slice(text.indexOf('| Patch id'));
  const rows = table.slice(0, (table.indexOf('\n\n') + 1 || table.length + 1) - 1).split('\n');
  return new Set(rows.slice(2).map((row) => /^\|\s*`([a-z0-9-]+)`/.exec(row)?.[1] ?? `(not a patch row: ${row})`));
}

describe('docs/deployment.md', () => {
  it('names only variables that the processes, Node or the compose file read', () => {
    const named = variablesIn(guide);
    expect(named.size).toBeGreaterThan(10);
    const unknown = [...named].filter(
      (name) => !schemaVariables.has(name) && !composeVariables.has(name) && !runtimeVariables.has(name),
    );
    expect(unknown).toEqual([]);
  });

  it('covers every secret under "Secrets"', () => {
    // The schema variables that carry a secret (a key, a password in a URL, a file that may hold one).
    const schemaSecrets = [
      'PAYLOAD_ENCRYPTION_KEYS',
      'SIGNING_SECRET',
      'SIGNING_SECRET_PREVIOUS',
      'DATABASE_URL',
      'SMTP_URL',
      'TEMPORAL_API_KEY',
      'TEMPORAL_TLS_CLIENT_KEY_PATH',
      'TEMPORAL_TLS_CLIENT_KEY_DATA',
      'TEMPORAL_CONFIG_FILE',
    ];
    for (const name of schemaSecrets) expect({ name, known: schemaVariables.has(name) }).toEqual({ name, known: true });
    // Every schema variable not listed above is named as a setting, not as a secret (a new secret is caught here).
    const secretName = /(SECRET|PASSWORD|TOKEN|_KEYS?|_KEY_(DATA|PATH))$/;
    const unlisted = [...schemaVariables].filter((name) => !schemaSecrets.includes(name));
    expect(unlisted.filter((name) => secretName.test(name))).toEqual([]);
    const composeSecrets = [...composeVariables].filter((name) => secretName.test(name));
    expect(composeSecrets).toEqual(expect.arrayContaining(['POSTGRES_PASSWORD', 'GRAFANA_ADMIN_PASSWORD']));
    const secrets = variablesIn(section('Secrets'));
    for (const name of [...schemaSecrets, ...composeSecrets]) {
      expect({ name, covered: secrets.has(name) }).toEqual({ name, covered: true });
    }
  });

  it("lists exactly the code's patches, as the README does", () => {
    const inCode = patchIdsInCode();
    expect(inCode.size).toBeGreaterThan(10);
    expect([...patchIdsInTable(section('Upgrading the workflow code safely'))].sort()).toEqual([...inCode].sort());
    expect([...patchIdsInTable(read('README.md'))].sort()).toEqual([...inCode].sort());
  });

  it('is linked from the README', () => {
    expect(read('README.md')).toContain('](docs/deployment.md)');
  });
});
