import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { createApiKey, listApiKeys, revokeApiKey, ROLES, ZCreateApiKeyRequest, type Role } from '../api/auth';
import { AppError, parseInput } from '../api/errors';
import { importMatches } from '../api/services/imports';
import { listAdmins, markAdmin, unmarkAdmin, ZAccountEmail } from '../api/services/accounts';
import { programKpis, ZKpiQuery, type KpiFigures } from '../api/services/kpis';
import { listMatches, ZListMatchesQuery } from '../api/services/match-list';
import { matchWorkflowId } from '../workflows/shared';
import { ZText } from '../workflows/text';
import { ConfigError, parseEnv, ZDatabaseEnv, ZPayloadKeysEnv, ZTemporalEnv } from '../config/env';
import { createDatabase, type Database } from '../prisma/client';
import { createLog, type Log } from '../telemetry/log';
import { checkTemporalEnv, checkTemporalTls, connectClient, temporalSettings } from '../temporal/connection';
import { dataConverter } from '../temporal/data-converter';
import { formatTable } from './table';

/**
 * The operators' command line, over the same code as the API: import a CSV, list matches at risk, print a program's
 * KPIs, create, list and revoke API keys. It talks to Postgres (and, to start imported matches, Temporal) directly,
 * with the same environment variables as the API:
 *
 *   npm run cli -- kpis my-program --cohort 2026-04
 */
const ZCliEnv = ZDatabaseEnv;
/** Starting matches (import) also needs Temporal, and the keys the workflows' payloads are encrypted with. */
const ZCliTemporalEnv = z
  .object({ ...ZDatabaseEnv.shape, ...ZTemporalEnv.shape, ...ZPayloadKeysEnv.shape })
  .superRefine(checkTemporalEnv);

type Io = { out: (line: string) => void };

async function withDatabase<T>(run: (db: Database) => Promise<T>): Promise<T> {
  const env = parseEnv(ZCliEnv);
  const db = createDatabase(env.DATABASE_URL, {
    poolSize: 2,
    statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_SECONDS * 1000,
  });
  try {
    return await run(db);
  } finally {
    await db.$disconnect();
  }
}

const percent = (n: number | null) => (n === null ? '–' : `${(n * 100).toFixed(1)}%`);
const number = (n: number | null) => (n === null ? '–' : String(n));

function kpiRow(label: string, k: KpiFigures): string[] {
  return [
    label,
    String(k.started),
    String(k.active),
    String(k.completed),
    String(k.terminatedEarly),
    percent(k.completionRate),
    percent(k.earlyTerminationRate),
    percent(k.checkinResponseRate),
    number(k.medianDaysToKickoff),
    `${k.openEscalations}/${k.overdueEscalations}`,
    number(k.meanHealth),
  ];
}
const KPI_HEADER = [
  '',
  'started',
  'active',
  'completed',
  'ended early',
  'completion',
  'early term.',
  'responses',
  'days to kickoff',
  'esc. open/overdue',
  'health',
];

/**
 * Checks options with the schema the API uses for the same query: a wrong value fails as the API's 400 does, every
 * wrong one listed, named by its option (`flags` maps a schema field to its option where the names differ).
 */
function parseOptions<T extends z.ZodType>(
  schema: T,
  input: Record<string, unknown>,
  flags: Record<string, string> = {},
): z.infer<T> {
  try {
    return parseInput(schema, input);
  } catch (error) {
    if (!(error instanceof AppError) || !error.errors) throw error;
    const lines = new Map<string, { field: string; message: string }>();
    for (const e of error.errors) {
      const key = e.field.split(/[.[]/)[0]!;
      const field = flags[key] ?? `--${key}`;
      lines.set(`${field}\n${e.message}`, { field, message: e.message });
    }
    throw new AppError('validation_failed', `${lines.size} option value(s) are not valid.`, [...lines.values()]);
  }
}

export function buildCli(io: Io): Command {
  const program = new Command('bansou').description('bansou operators’ tools').showHelpAfterError().exitOverride();

  program
    .command('import')
    .description('import matches from a CSV file (every row is checked first; a re-run starts nothing twice)')
    .argument('<file>', 'CSV file (UTF-8 or Shift_JIS; English or Japanese headers)')
    .action(async (file: string) => {
      const env = parseEnv(ZCliTemporalEnv);
      const settings = temporalSettings(env);
      await checkTemporalTls(settings);
      const temporal = await connectClient(settings, dataConverter(env.PAYLOAD_ENCRYPTION_KEYS));
      try {
        await withDatabase(async (db) => {
          const result = await importMatches({ db, temporal, taskQueue: settings.taskQueue }, null, readFileSync(file));
          io.out(
            `${result.total} rows: ${result.created.length} matches started, ${result.existing.length} already imported`,
          );
          for (const id of result.created) io.out(`  started  ${matchWorkflowId(id)}`);
        });
      } finally {
        await temporal.connection.close();
      }
    });

  program
    .command('at-risk')
    .description('matches in trouble (red, then amber), the worst first')
    .option('-p, --program <id>', 'only this program')
    .addOption(new Option('-b, --band <bands>', 'health bands, comma-separated').default('red,amber'))
    .option('-n, --limit <n>', 'at most this many', (v) => positiveInt(v), 50)
    .action(async (options: { program?: string; band: string; limit: number }) => {
      const query = parseOptions(
        ZListMatchesQuery,
        { program: options.program, risk: options.band, status: 'open,paused', sort: 'health', limit: options.limit },
        { risk: '--band' },
      );
      await withDatabase(async (db) => {
        const { items } = await listMatches(db, undefined, query);
        if (!items.length) return io.out('No match is at risk.');
        io.out(
          formatTable(
            ['match', 'title', 'coordinator', 'health', 'escalations', 'next step'],
            items.map((m) => [
              m.id,
              m.title,
              m.coordinator.name,
              `${m.health.band} ${m.health.score ?? ''}`.trim(),
              String(m.openEscalations),
              m.nextStep ? `${m.nextStep.what} (${m.nextStep.at.slice(0, 10)})` : '–',
            ]),
          ),
        );
      });
    });

  program
    .command('kpis')
    .description("a program's KPIs as a table, with its cohorts (start months) and regions")
    .argument('<program>', 'program id')
    .option('--from <date>', 'matches starting on or after (YYYY-MM-DD)')
    .option('--to <date>', 'matches starting on or before (YYYY-MM-DD)')
    .option('--cohort <month>', 'one start month (YYYY-MM)')
    .option('--region <region>', 'one region')
    .action(async (programId: string, options: { from?: string; to?: string; cohort?: string; region?: string }) => {
      const query = parseOptions(ZKpiQuery, options);
      await withDatabase(async (db) => {
        if (!(await db.program.findUnique({ where: { id: programId }, select: { id: true } }))) {
          throw new AppError('not_found', `No program with id "${programId}".`);
        }
        const k = await programKpis(db, programId, query);
        io.out(
          formatTable(KPI_HEADER, [
            kpiRow(programId, k),
            ...k.byCohort.map((c) => kpiRow(`  ${c.cohort}`, c)),
            ...k.byRegion.map((r) => kpiRow(`  ${r.region ?? '(no region)'}`, r)),
          ]),
        );
      });
    });

  const keys = program.command('api-key').description('API keys');
  keys
    .command('create')
    .description('create an API key and print it (the only time it is shown)')
    .requiredOption('--name <name>', 'who or what uses it')
    .addOption(new Option('--role <role>', 'what it may do').choices([...ROLES]).makeOptionMandatory())
    .option('--program <id...>', 'programs it covers (not for admin)', [])
    .action(async (options: { name: string; role: Role; program: string[] }) => {
      const input = parseOptions(
        ZCreateApiKeyRequest,
        { name: options.name, role: options.role, programIds: options.program },
        { programIds: '--program' },
      );
      await withDatabase(async (db) => {
        const created = await createApiKey(db, input);
        io.out(`Created ${input.role} key "${input.name}" (${created.prefix}…). Keep it now; it is not stored:`);
        io.out(created.key);
      });
    });
  keys
    .command('list')
    .description('every key: name, role, programs, last use and whether it is revoked (never the keys)')
    .action(async () => {
      await withDatabase(async (db) => {
        const items = await listApiKeys(db);
        if (!items.length) return io.out('No API keys.');
        io.out(
          formatTable(
            ['id', 'prefix', 'name', 'role', 'programs', 'last used', 'revoked'],
            items.map((k) => [
              k.id,
              k.prefix,
              k.name,
              k.role,
              k.programIds.join(',') || '(all)',
              k.lastUsedAt ?? 'never',
              k.revokedAt ?? '–',
            ]),
          ),
        );
      });
    });
  keys
    .command('revoke')
    .description('revoke a key: it answers 401 within API_KEY_CACHE_SECONDS (5 s)')
    .argument('<key>', 'its id, or its prefix (bsk_…) as `api-key list` shows it')
    .action(async (key: string) => {
      const { id } = parseOptions(z.object({ id: ZText.token({ max: 64 }) }), { id: key }, { id: '<key>' });
      await withDatabase(async (db) => {
        const revoked = await revokeApiKey(db, id);
        io.out(`Revoked ${revoked.role} key "${revoked.name}" (${revoked.prefix}…) at ${revoked.revokedAt}.`);
      });
    });

  const admin = program
    .command('admin')
    .description('admins of the workspace (everyone else gets roles from the programs)');
  admin
    .command('add <email>')
    .description('mark a person admin; they sign in to the workspace with this email')
    .action(async (email: string) => {
      await withDatabase(async (db) => {
        const address = parseInput(ZAccountEmail, email, 'email');
        await markAdmin(db, address, 'cli');
        io.out(`${address} is an admin.`);
      });
    });
  admin
    .command('remove <email>')
    .description('take admin away (the last admin stays)')
    .action(async (email: string) => {
      await withDatabase(async (db) => {
        const address = parseInput(ZAccountEmail, email, 'email');
        await unmarkAdmin(db, address, 'cli');
        io.out(`${address} is no longer an admin.`);
      });
    });
  admin
    .command('list')
    .description('list the admins')
    .action(async () => {
      await withDatabase(async (db) => {
        for (const a of await listAdmins(db)) io.out(`${a.email}\t(marked by ${a.markedBy ?? '?'})`);
      });
    });

  return program;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number from 1');
  return n;
}

/**
 * Runs the CLI; returns the exit code (0 done, 1 failed, 2 usage, 78 configuration). What the operator asked for goes
 * to `io` (stdout), what went wrong to `err` (stderr) in words; an unexpected failure is also logged on stderr as one
 * JSON line with its cause, for a job runner's log collector.
 */
export async function runCli(
  argv: string[],
  io: Io = { out: (line) => console.log(line) },
  err = (line: string) => console.error(line),
  log: Log = createLog({ service: 'cli', level: 'warn', fd: 2 }),
): Promise<number> {
  try {
    await buildCli(io).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (
      error &&
      typeof error === 'object' &&
      'exitCode' in error &&
      'code' in error &&
      String(error.code).startsWith('commander.')
    ) {
      return Number(error.exitCode) === 0 ? 0 : 2;
    }
    if (error instanceof AppError) {
      err(
        `${error.detail}${error.errors ? `\n${error.errors.map((e) => `  ${e.field}: ${e.message}`).join('\n')}` : ''}`,
      );
      return 1;
    }
    if (error instanceof ConfigError) {
      err(error.message);
      return 78;
    }
    log.error({ err: error, command: argv.slice(0, 2).join(' ') }, 'cli command failed');
    err(error instanceof Error ? error.message : String(error));
    return 1;
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
