import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import pino, { type DestinationStream, type Logger } from 'pino';
import { matchIdOf } from '../workflows/shared';

/**
 * Structured logs for every process (API, worker, CLI): pino, one JSON object per line on stdout, `./dev/start` shows
 * them pretty. Each line carries what it is about (request id, match id, workflow id and run id, activity type), and
 * never a person's data or a link token: values under personal keys are censored at any depth, and email addresses,
 * signed link tokens, API keys and URL credentials are cut out of every string (messages, errors, stacks).
 */
export type Log = Logger;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

const CENSORED = '[redacted]';

/**
 * Keys whose values are personal data, credentials or free text a person wrote, wherever they appear in a log line.
 * A person object (host, talent, coordinator, recipient…) is censored whole: its name and address with it.
 */
const PERSONAL_KEYS = new Set(
  [
    'email',
    'emails',
    'to',
    'cc',
    'bcc',
    'recipient',
    'recipients',
    'host',
    'talent',
    'coordinator',
    'managers',
    'programManagers',
    'person',
    'participant',
    'answers',
    'answer',
    'text',
    'html',
    'note',
    'notes',
    'comment',
    'comments',
    'subject',
    'token',
    'authorization',
    'cookie',
    'set-cookie',
    'password',
    'secret',
    'signingSecret',
    'apiKey',
    'taskToken',
  ].map((k) => k.toLowerCase()),
);

// Credentials in a URL (`smtp://user:pass@host`), before addresses, which would see `pass@host` as one.
const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi;
// An email address; a Message-ID (`<hex@domain>`) is an id, not a person, and stays.
const EMAIL = /(?<![\w.+-])(?![0-9a-f]{16,}@)[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;
// A signed check-in or kickoff link token (payload.signature, as activities/links.ts makes them), in a path or bare.
// The pages' paths start at the root (`/checkins/<token>`, or in a URL after its host); an API path such as
// `/matches/:id/kickoff/schedule` is no link, and a route's declaration (`/checkins/:token`) names no token.
const LINK_PATH = /((?:^|[\s"'(<=]|[a-z]+:\/\/[^\s/]+)\/(?:checkins|kickoff|workspace\/sign-in)\/)(?!:)[^\s/?#"'<>]+/gi;
const LINK_TOKEN = /[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;
// An API key: the prefix (shown in lists) may stay, the secret part may not.
const API_KEY = /\b(bsk_[A-Za-z0-9]{8})_[A-Za-z0-9_-]+/g;

/** A string with email addresses, link tokens, API key secrets and URL credentials cut out. */
export function scrubText(text: string): string {
  return text
    .replace(URL_CREDENTIALS, '$1[redacted]@')
    .replace(EMAIL, '[email]')
    .replace(LINK_PATH, '$1…')
    .replace(LINK_TOKEN, '[token]')
    .replace(API_KEY, '$1_[redacted]');
}

/** A copy of a log line's values with personal keys censored and every string scrubbed, to a bounded depth. */
export function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  if (value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = PERSONAL_KEYS.has(key.toLowerCase()) && v !== null && v !== undefined ? CENSORED : scrub(v, depth + 1);
  }
  return out;
}

export type CreateLogOptions = {
  /** `api`, `worker` or `cli`: which process wrote the line. */
  service: string;
  level?: LogLevelName;
  /** Where lines go: stdout (1, the default), stderr (2, the CLI, whose stdout is its output) or a stream. */
  fd?: 1 | 2;
  destination?: DestinationStream;
};

/**
 * What a line must hold, read in lower case, for `scrub` to find anything in it: a personal key (`"email":`), an `@`
 * (addresses and URL credentials have one), a link's path, the shape of a link token, an API key's `bsk_`. JSON writes
 * each of them as it reads in the values (it escapes none of their characters), so a line with none of them is
 * written as it is, unparsed: what most lines are (a request's line names its route, status and ids).
 */
const MAY_NEED_SCRUB = new RegExp(
  [
    `"(?:${[...PERSONAL_KEYS].join('|')})":`,
    '@',
    '/(?:checkins|kickoff|workspace/sign-in)/',
    // From the start of a run of token characters only: tried at every position of an id's run, the search went back
    // over the whole run each time (a request's line has two UUIDs: 9 µs a line, 3 with this), and whatever matches
    // inside a run matches from its start as well.
    '(?<![a-z0-9_-])[a-z0-9_-]{8,}\\.[a-z0-9_-]{43}',
    'bsk_',
  ].join('|'),
);

/**
 * One line as written, scrubbed: parsed, censored and written again. Done on the finished line, so every part of it
 * is covered alike (a child's bindings, the message, serialised errors and their stacks), whoever built it.
 */
export function scrubLine(line: string): string {
  if (!MAY_NEED_SCRUB.test(line.toLowerCase())) return line;
  try {
    return `${JSON.stringify(scrub(JSON.parse(line)))}\n`;
  } catch {
    return scrubText(line);
  }
}

/** The process's root logger; requests, matches and activities get child loggers carrying their ids. */
export function createLog({ service, level = 'info', fd = 1, destination }: CreateLogOptions): Log {
  // Written at once: the lines that matter most are those just before a crash or an exit.
  const out = destination ?? pino.destination({ dest: fd, sync: true });
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      // Level names ("warn"), not numbers: what operators grep and log pipelines index.
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    { write: (line: string) => out.write(scrubLine(line)) },
  );
}

/** What a foreseeable failure (a dependency down) says, for a one-line warning: its message, never its stack. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message.trim() : String(error);
}

/** A logger that writes nothing: the default for code paths a test builds without one. */
export const silentLog: Log = pino({ level: 'silent' });

const TEMPORAL_LEVELS: Record<LogLevel, LogLevelName> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * The Temporal SDK's logger, for `Runtime.install({ logger })`: the SDK's own lines, the workflows' (`log` from
 * `@temporalio/workflow`, with workflow id, run id and type) and the activities' (with the activity type and id) all
 * become lines of `log`; a match's workflow lines carry its match id too.
 */
export function temporalLogger(log: Log): TemporalLogger {
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const fields: Record<string, unknown> = { ...meta };
    const workflowId = typeof fields.workflowId === 'string' ? fields.workflowId : undefined;
    const matchId = workflowId ? matchIdOf(workflowId) : undefined;
    if (matchId) fields.matchId = matchId;
    log[TEMPORAL_LEVELS[level]](fields, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}
