import { ZApiEnv } from '../../api/env';
import { ConfigError, parseEnv } from '../../config/env';
import { DEFAULT_STATEMENT_TIMEOUT_MS } from '../../prisma/client';
import { ZWorkerEnv } from '../../worker/env';
import { workerMemory, workerNodeFlags } from '../../worker/memory';
import { ZPlaybook } from '../../api/services/playbooks';
import { DEFAULT_PLAYBOOK } from '../../workflows/playbook';

const valid = {
  DATABASE_URL: 'postgresql://bansou@127.0.0.1:5432/bansou',
  SMTP_URL: 'smtp://127.0.0.1:1025',
  MAIL_FROM: 'bansou <noreply@bansou.example>',
  SIGNING_SECRET: 'a'.repeat(64),
  PAYLOAD_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
};

describe('environment schemas', () => {
  it('fills defaults for everything optional', () => {
    const env = parseEnv(ZApiEnv, valid);
    expect(env).toMatchObject({
      TASK_QUEUE: 'bansou-matches',
      PORT: 3000,
      PUBLIC_BASE_URL: 'http://localhost:3000',
    });
  });

  it('coerces numbers and keeps explicit values', () => {
    const env = parseEnv(ZApiEnv, { ...valid, PORT: '8080', TASK_QUEUE: 'q2' });
    expect(env.PORT).toBe(8080);
    expect(env.TASK_QUEUE).toBe('q2');
  });

  it("reads the database's statement bound: the default, an explicit value, and a bad one named", () => {
    expect(parseEnv(ZApiEnv, valid).DATABASE_STATEMENT_TIMEOUT_SECONDS).toBe(DEFAULT_STATEMENT_TIMEOUT_MS / 1000);
    expect(parseEnv(ZWorkerEnv, { ...valid, DATABASE_STATEMENT_TIMEOUT_SECONDS: '60' })).toMatchObject({
      DATABASE_STATEMENT_TIMEOUT_SECONDS: 60,
    });
    expect(() => parseEnv(ZApiEnv, { ...valid, DATABASE_STATEMENT_TIMEOUT_SECONDS: '0' })).toThrow(
      /DATABASE_STATEMENT_TIMEOUT_SECONDS/,
    );
  });

  it("reads the worker's tuning: defaults from the benchmark, explicit values, and a bad one named", () => {
    const defaults = parseEnv(ZWorkerEnv, valid);
    expect(defaults).toMatchObject({
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: expect.any(Number),
      WORKER_MAX_CONCURRENT_ACTIVITIES: expect.any(Number),
      WORKER_STICKY_QUEUE_TIMEOUT_SECONDS: 10,
    });
    // The database pool follows the activities unless it is set; the cache, the memory budget (or 1000 without one).
    expect(defaults.DATABASE_POOL_SIZE).toBeUndefined();
    expect(defaults.WORKER_MAX_CACHED_WORKFLOWS).toBeUndefined();
    expect(defaults.WORKER_MEMORY_MB).toBeUndefined();
    const tuned = parseEnv(ZWorkerEnv, {
      ...valid,
      WORKER_MAX_CACHED_WORKFLOWS: '250',
      WORKER_MAX_CONCURRENT_ACTIVITIES: '8',
      DATABASE_POOL_SIZE: '12',
    });
    expect(tuned).toMatchObject({
      WORKER_MAX_CACHED_WORKFLOWS: 250,
      WORKER_MAX_CONCURRENT_ACTIVITIES: 8,
      DATABASE_POOL_SIZE: 12,
    });
    expect(() => parseEnv(ZWorkerEnv, { ...valid, WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '1' })).toThrow(
      /WORKER_MAX_CONCURRENT_WORKFLOW_TASKS/,
    );
    expect(parseEnv(ZWorkerEnv, { ...valid, WORKER_MEMORY_MB: '500' }).WORKER_MEMORY_MB).toBe(500);
    expect(() => parseEnv(ZWorkerEnv, { ...valid, WORKER_MEMORY_MB: '100' })).toThrow(/WORKER_MEMORY_MB/);
  });

  it("sizes the worker's heap limit and cache from its memory budget, and gives node the flag for it", () => {
    const small = workerMemory(500);
    const large = workerMemory(2000);
    // The heap limit and the cache grow with the budget; the heap is bounded below the budget.
    expect(small.heapMb).toBeLessThan(500);
    expect(large.heapMb).toBeGreaterThan(small.heapMb);
    expect(large.maxCachedWorkflows).toBeGreaterThan(small.maxCachedWorkflows);
    // Never fewer than the SDK's floor, whatever the budget.
    expect(workerMemory(256).maxCachedWorkflows).toBeGreaterThanOrEqual(10);
    // The workflow thread's heap is bounded whole (young generation included), as node gives it to every thread.
    expect(workerNodeFlags({ WORKER_MEMORY_MB: '500' })).toEqual([
      `--max-heap-size=${small.heapMb}`,
      '--max-semi-space-size=16',
    ]);
    // No budget, or one the schema refuses (the worker's start-up names it): node starts as it would.
    expect(workerNodeFlags({})).toEqual([]);
    expect(workerNodeFlags({ WORKER_MEMORY_MB: 'lots' })).toEqual([]);
  });

  it('names every missing and malformed variable in one error', () => {
    let error: unknown;
    try {
      parseEnv(ZWorkerEnv, { DATABASE_URL: 'mysql://x', SMTP_URL: 'smtp://127.0.0.1:1025', SIGNING_SECRET: 'short' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues.map((i) => i.variable).sort()).toEqual([
      'DATABASE_URL',
      'MAIL_FROM',
      'PAYLOAD_ENCRYPTION_KEYS',
      'SIGNING_SECRET',
    ]);
    expect(issues.find((i) => i.variable === 'MAIL_FROM')?.message).toBe('is required');
    expect((error as ConfigError).message).toContain('SIGNING_SECRET: must be at least 32 characters');
  });

  it('takes SIGNING_SECRET_PREVIOUS (optional) under the same rule as SIGNING_SECRET, and keeps it out of the message', () => {
    expect(parseEnv(ZApiEnv, valid).SIGNING_SECRET_PREVIOUS).toBeUndefined();
    const previous = 'b'.repeat(64);
    expect(parseEnv(ZApiEnv, { ...valid, SIGNING_SECRET_PREVIOUS: previous }).SIGNING_SECRET_PREVIOUS).toBe(previous);
    expect(() => parseEnv(ZApiEnv, { ...valid, SIGNING_SECRET_PREVIOUS: 'too-short-0123' })).toThrow(
      /SIGNING_SECRET_PREVIOUS: must be at least 32 characters/,
    );
    expect(() => parseEnv(ZApiEnv, { ...valid, SIGNING_SECRET_PREVIOUS: 'too-short-0123' })).not.toThrow(/too-short/);
  });

  it('treats an empty variable as unset', () => {
    expect(parseEnv(ZApiEnv, { ...valid, PORT: '' }).PORT).toBe(3000);
    expect(() => parseEnv(ZApiEnv, { ...valid, DATABASE_URL: '' })).toThrow(/DATABASE_URL: is required/);
  });

  it("reads the Temporal UI's origins for the codec endpoint, and names one that is not an origin", () => {
    expect(parseEnv(ZApiEnv, valid).TEMPORAL_UI_ORIGIN).toBeUndefined();
    const origins = 'https://temporal.example.org, http://localhost:8233/';
    expect(parseEnv(ZApiEnv, { ...valid, TEMPORAL_UI_ORIGIN: origins }).TEMPORAL_UI_ORIGIN).toEqual([
      'https://temporal.example.org',
      'http://localhost:8233',
    ]);
    for (const bad of ['https://temporal.example.org/namespaces', 'temporal.example.org', 'ftp://x.example'])
      expect(() => parseEnv(ZApiEnv, { ...valid, TEMPORAL_UI_ORIGIN: bad })).toThrow(
        /TEMPORAL_UI_ORIGIN: .* is not an origin/,
      );
  });

  it('rejects a port out of range and a non-smtp SMTP_URL', () => {
    expect(() => parseEnv(ZApiEnv, { ...valid, PORT: '70000' })).toThrow(/PORT/);
    expect(() => parseEnv(ZApiEnv, { ...valid, SMTP_URL: 'http://mail' })).toThrow(/SMTP_URL: must be an smtp/);
  });
});

describe('playbook schema', () => {
  it('fills what is left out at any depth, and bounds durations', () => {
    const pb = ZPlaybook.parse({ checkins: { cadence: '21d' }, kickoff: { deadline: '10d' } });
    expect(pb.checkins).toEqual({ ...DEFAULT_PLAYBOOK.checkins, cadence: '21d' });
    expect(pb.kickoff).toEqual({ ...DEFAULT_PLAYBOOK.kickoff, deadline: '10d' });
    expect(pb.tasks).toEqual(DEFAULT_PLAYBOOK.tasks);
    const tooLong = ZPlaybook.safeParse({ kickoff: { deadline: '99999999d' } });
    expect(tooLong.success).toBe(false);
    expect(tooLong.error?.issues[0]).toMatchObject({
      path: ['kickoff', 'deadline'],
      message: 'must be at most 3 years',
    });
    expect(ZPlaybook.safeParse({ checkins: { reminderAfter: '8d' } }).error?.issues[0]?.path).toEqual([
      'checkins',
      'reminderAfter',
    ]);
  });

  it('lists a field that is not a duration or a clock time, and compares only valid values with each other', () => {
    const issues = (input: unknown) =>
      ZPlaybook.safeParse(input).error?.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    expect(issues({ checkins: { cadence: 'abc' } })).toEqual([
      { path: 'checkins.cadence', message: 'must be a duration such as 14d, 36h, 30s' },
    ]);
    expect(issues({ checkins: { reminderAfter: 'soon', closeAfter: 'later' } })).toEqual([
      { path: 'checkins.reminderAfter', message: 'must be a duration such as 14d, 36h, 30s' },
      { path: 'checkins.closeAfter', message: 'must be a duration such as 14d, 36h, 30s' },
    ]);
    expect(issues({ sendingHours: { start: '9am' } })).toEqual([
      { path: 'sendingHours.start', message: 'must be HH:MM' },
    ]);
    // Valid values are still compared.
    expect(issues({ checkins: { cadence: '1d', closeAfter: '2d', reminderAfter: '1h' } })).toEqual([
      { path: 'checkins.closeAfter', message: 'must not be longer than cadence' },
    ]);
  });
});
