import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../dev/env';

/** Figures, medians and how each compares with its target; one JSON file and one table per run. */

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function percentile(values: number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (values: number[]) => percentile(values, 50);

/** The machine's 1-minute load average (the machine is shared: every figure is read next to it). */
export const loadAverage = () => Number(os.loadavg()[0]!.toFixed(2));

export type Target = { op: '>=' | '<='; value: number };

export type Figure = {
  benchmark: string;
  name: string;
  /** The median over repetitions (or the one value). */
  value: number | null;
  unit: string;
  /** Every repetition's value, in the order measured. */
  reps?: (number | null)[];
  target?: Target;
  note?: string;
};

export const meets = (f: Figure) =>
  f.value === null || !f.target
    ? undefined
    : f.target.op === '>='
      ? f.value >= f.target.value
      : f.value <= f.target.value;

export type BenchRun = {
  startedAt: string;
  command: string;
  machine: { cpus: number; memoryGb: number; node: string };
  loadAverages: { at: string; benchmark: string; load1: number }[];
  figures: Figure[];
  details: Record<string, unknown>;
};

export function newRun(command: string): BenchRun {
  return {
    startedAt: new Date().toISOString(),
    command,
    machine: { cpus: os.cpus().length, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    loadAverages: [],
    figures: [],
    details: {},
  };
}

export function noteLoad(run: BenchRun, benchmark: string): number {
  const load1 = loadAverage();
  run.loadAverages.push({ at: new Date().toISOString(), benchmark, load1 });
  return load1;
}

const round = (v: number | null) => (v === null ? null : Math.abs(v) >= 100 ? Math.round(v) : Number(v.toFixed(2)));

export function figure(run: BenchRun, f: Figure): Figure {
  const added = { ...f, value: round(f.value), ...(f.reps ? { reps: f.reps.map(round) } : {}) };
  run.figures.push(added);
  const verdict = meets(added);
  const target = added.target ? `target ${added.target.op} ${added.target.value}` : '';
  process.stdout.write(
    `  ${added.name}: ${added.value ?? '–'} ${added.unit} ${target} ${verdict === undefined ? '' : verdict ? 'ok' : 'MISSED'}\n`,
  );
  return added;
}

/** The table: one line per figure, its repetitions, its target and whether it is met. */
export function table(run: BenchRun): string {
  const rows = [['benchmark', 'figure', 'median', 'unit', 'repetitions', 'target', 'met']];
  for (const f of run.figures) {
    const verdict = meets(f);
    rows.push([
      f.benchmark,
      f.name,
      String(f.value ?? '–'),
      f.unit,
      f.reps ? f.reps.map((r) => r ?? '–').join(' ') : '',
      f.target ? `${f.target.op} ${f.target.value}` : '',
      verdict === undefined ? '' : verdict ? 'yes' : 'no',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const loads = run.loadAverages.map((l) => `${l.benchmark} ${l.load1}`).join(', ');
  return [
    line(rows[0]!),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.slice(1).map(line),
    '',
    `load average (1 min) on ${run.machine.cpus} cores: ${loads}`,
  ].join('\n');
}

/** Writes `test-artifacts/bench/<time>.json` and `.md`; returns the JSON's path. */
export function writeRun(run: BenchRun): string {
  const dir = path.join(PROJECT_ROOT, 'test-artifacts', 'bench');
  mkdirSync(dir, { recursive: true });
  const base = path.join(dir, run.startedAt.replace(/[:.]/g, '-'));
  writeFileSync(`${base}.json`, JSON.stringify(run, null, 2));
  writeFileSync(`${base}.md`, `${run.command}\n\n${table(run)}\n`);
  return `${base}.json`;
}
