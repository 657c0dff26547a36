import { createLog, type Log } from '../../telemetry/log';

/** One line a logger wrote, parsed. */
export type LogLine = { level: string; msg: string; service: string } & Record<string, unknown>;

export type CapturedLog = {
  log: Log;
  /** Every line written so far, parsed. */
  lines: LogLine[];
  /** Every line exactly as written (what a log pipeline would receive). */
  raw: string[];
};

/** A real logger (the processes' own, redaction included) whose lines the test reads instead of stdout. */
export function captureLog(service = 'test'): CapturedLog {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const log = createLog({
    service,
    level: 'trace',
    destination: {
      write(line: string) {
        raw.push(line);
        lines.push(JSON.parse(line) as LogLine);
      },
    },
  });
  return { log, lines, raw };
}
