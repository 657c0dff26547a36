import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../dev/env';
import { machineCores, mergeWindows, type Ceiling, type CpuWindow } from './cpu';

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
  /** Where the CPU went, per benchmark window (repetitions of a window summed). */
  cpu: CpuWindow[];
  details: Record<string, unknown>;
};

export function newRun(command: string): BenchRun {
  return {
    startedAt: new Date().toISOString(),
    command,
    machine: { cpus: os.cpus().length, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    loadAverages: [],
    figures: [],
    cpu: [],
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

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : unit.endsWith('h') ? 'es' : 's'}`;
const ms = (v: number | null) => (v === null ? '–' : v >= 10 ? v.toFixed(0) : v.toFixed(1));

/** "≈ 8.3 rounds/s, set by the worker (120 ms per round of 240 total)". */
export const describeCeiling = (c: Ceiling) =>
  `≈ ${c.perSecond >= 10 ? c.perSecond.toFixed(0) : c.perSecond.toFixed(1)} ${c.unit}${c.unit.endsWith('h') ? 'es' : 's'}/s, set by the ${c.setBy} (${ms(c.setByMs)} ms per ${c.unit} of ${ms(c.totalMs)} total)`;

/**
 * Adds a window's CPU accounting to the run (summed with the repetitions before it of the same window) and prints it.
 */
export function recordCpu(run: BenchRun, window: CpuWindow): CpuWindow {
  const i = run.cpu.findIndex((w) => w.benchmark === window.benchmark && w.window === window.window);
  const merged = i < 0 ? window : mergeWindows(run.cpu[i]!, window, machineCores());
  if (i < 0) run.cpu.push(merged);
  else run.cpu[i] = merged;
  const uses = window.processes.map((p) => `${p.process} ${p.cores === null ? '–' : p.cores.toFixed(2)}`).join(', ');
  process.stdout.write(`  CPU, ${window.window} (${window.seconds.toFixed(0)} s), cores used: ${uses}\n`);
  if (window.ceiling) process.stdout.write(`  ceiling on this machine ${describeCeiling(window.ceiling)}\n`);
  return merged;
}

/** The CPU table: per window and process, the cores it kept busy and its CPU per unit of work; then the ceilings. */
export function cpuTable(run: BenchRun): string {
  if (!run.cpu.length) return '';
  const rows = [['benchmark', 'window', 'process', 'cores used', 'CPU per unit']];
  for (const w of run.cpu) {
    const done = Object.entries(w.units)
      .map(([unit, n]) => plural(n, unit))
      .join(', ');
    for (const p of w.processes) {
      rows.push([
        w.benchmark,
        `${w.window} (${w.seconds.toFixed(0)} s; ${done})`,
        p.stack ? p.process : `${p.process} (not counted in the ceiling)`,
        p.cores === null ? '–' : p.cores.toFixed(2),
        Object.entries(p.msPer)
          .map(([unit, v]) => `${ms(v)} ms/${unit}`)
          .join(', '),
      ]);
    }
  }
  const ceilings = run.cpu
    .filter((w) => w.ceiling)
    .map((w) => `- ${w.benchmark}, ${w.window}: ${describeCeiling(w.ceiling!)}`);
  return [
    `CPU (cores used = CPU seconds per second of the window; ms per unit of work done in it):`,
    '',
    ...markdown(rows),
    '',
    `ceiling on this machine (${run.machine.cpus} cores, if nothing but the stack ran):`,
    ...ceilings,
  ].join('\n');
}

function markdown(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(rows[0]!), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)];
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
  const loads = run.loadAverages.map((l) => `${l.benchmark} ${l.load1}`).join(', ');
  const cpu = cpuTable(run);
  return [
    ...markdown(rows),
    '',
    `load average (1 min) on ${run.machine.cpus} cores: ${loads}`,
    ...(cpu ? ['', cpu] : []),
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
