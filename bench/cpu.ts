import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/**
 * Where the CPU goes while a benchmark runs: each process of the stack (the API, the worker, the Temporal dev server,
 * Postgres with all its backends, the benchmark's own process) read from `/proc/<pid>/stat` (user + system time) at
 * the start and the end of a window, then per second (cores used), per unit of work (a round, an email, a match, a
 * request) and the ceiling they imply: the rate at which the machine's cores would all be busy if nothing else ran.
 */

/** The parts of one `/proc/<pid>/stat` line the accounting needs, times in clock ticks. */
export type ProcStat = {
  pid: number;
  ppid: number;
  /** utime + stime: the process's own CPU, every thread of it. */
  ticks: number;
  /** cutime + cstime: its children's CPU, once they have exited and it has reaped them. */
  reapedTicks: number;
};

/** Parses a `/proc/<pid>/stat` line (the command name, in parentheses, may hold spaces and parentheses). */
export function parseProcStat(line: string): ProcStat {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${line.slice(0, 80)}`);
  // After the name: field 3 (state), field 4 (ppid)…; field n is rest[n - 3].
  const rest = line
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const field = (n: number) => Number(rest[n - 3]);
  const stat = {
    pid: Number(line.slice(0, open).trim()),
    ppid: field(4),
    ticks: field(14) + field(15),
    reapedTicks: field(16) + field(17),
  };
  if (Object.values(stat).some((v) => !Number.isInteger(v)))
    throw new Error(`not a /proc/<pid>/stat line: ${line.slice(0, 80)}`);
  return stat;
}

/** Every process's stat at one moment, with who is whose child. */
export type ProcTable = { byPid: Map<number, ProcStat>; children: Map<number, number[]> };

export function procTable(stats: ProcStat[]): ProcTable {
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  const children = new Map<number, number[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
  return { byPid, children };
}

/**
 * The CPU ticks `pid` has used, with (`tree`) every process under it: those alive now and, through each one's reaped
 * time, those that have exited (a Postgres backend whose connection closed). Null when `pid` is gone.
 */
export function ticksOf(table: ProcTable, pid: number, tree: boolean): number | null {
  const root = table.byPid.get(pid);
  if (!root) return null;
  if (!tree) return root.ticks;
  let total = 0;
  const pending = [pid];
  const seen = new Set<number>();
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const s = table.byPid.get(next);
    if (!s || seen.has(next)) continue;
    seen.add(next);
    total += s.ticks + s.reapedTicks;
    pending.push(...(table.children.get(next) ?? []));
  }
  return total;
}

/** One of the processes measured, by name (several pids: the sum, e.g. two workers). */
export type CpuProcess = {
  name: string;
  pids: number[];
  /** Count every process under each pid too (Postgres's backends). */
  tree: boolean;
  /** Part of what bansou runs (false for the benchmark's own process: the load and the SMTP sink). */
  stack: boolean;
};

/** CPU seconds used so far per process, at `at` (ms, monotonic). */
export type CpuSample = { at: number; seconds: Record<string, number | null>; stack: Record<string, boolean> };

export function sampleOf(table: ProcTable, processes: CpuProcess[], ticksPerSecond: number, at: number): CpuSample {
  const seconds: Record<string, number | null> = {};
  const stack: Record<string, boolean> = {};
  for (const p of processes) {
    if (!p.pids.length) continue;
    const each = p.pids.map((pid) => ticksOf(table, pid, p.tree));
    seconds[p.name] = each.some((t) => t === null) ? null : each.reduce<number>((a, t) => a + t!, 0) / ticksPerSecond;
    stack[p.name] = p.stack;
  }
  return { at, seconds, stack };
}

/** One process's use of the CPU over a window. */
export type CpuUse = {
  process: string;
  stack: boolean;
  cpuSeconds: number | null;
  /** CPU seconds per second of the window: how many cores it kept busy. */
  cores: number | null;
  /** CPU milliseconds per unit of work done in the window, per kind of unit. */
  msPer: Record<string, number | null>;
};

/** What the units of the window cost the machine at most: the rate at which its cores would all be busy. */
export type Ceiling = {
  unit: string;
  /** Units per second with every stack process's CPU per unit on `cores` cores. */
  perSecond: number;
  /** The process that takes most per unit, and how much of the total. */
  setBy: string;
  setByMs: number;
  totalMs: number;
  /** Per process: units per second if it alone had the cores. */
  alone: Record<string, number>;
};

export type CpuWindow = {
  benchmark: string;
  window: string;
  seconds: number;
  /** Units of work done in the window, by kind; the first is the one the ceiling counts. */
  units: Record<string, number>;
  processes: CpuUse[];
  ceiling: Ceiling | null;
};

/** Units per second at which `msPerUnit` (the stack's processes) would keep `cores` cores busy. */
export function ceilingOf(unit: string, msPerUnit: Record<string, number>, cores: number): Ceiling | null {
  const entries = Object.entries(msPerUnit).filter(([, ms]) => ms > 0);
  const totalMs = entries.reduce((a, [, ms]) => a + ms, 0);
  if (!entries.length || totalMs <= 0) return null;
  const [setBy, setByMs] = entries.reduce((a, b) => (b[1] > a[1] ? b : a));
  return {
    unit,
    perSecond: (cores * 1000) / totalMs,
    setBy,
    setByMs,
    totalMs,
    alone: Object.fromEntries(entries.map(([name, ms]) => [name, (cores * 1000) / ms])),
  };
}

/** The window from `before` to `after`, with `units` of work done in it, on a machine of `cores` cores. */
export function cpuWindow(
  label: { benchmark: string; window: string },
  before: CpuSample,
  after: CpuSample,
  units: Record<string, number>,
  cores: number,
): CpuWindow {
  const seconds = (after.at - before.at) / 1000;
  const processes: CpuUse[] = Object.keys(after.seconds).map((name) => {
    const [from, to] = [before.seconds[name], after.seconds[name]];
    // A process that was not there at the start, or is gone (or restarted) by the end, is not measured.
    const cpuSeconds = from == null || to == null || to < from ? null : to - from;
    const msPer = Object.fromEntries(
      Object.entries(units).map(([unit, n]) => [unit, cpuSeconds === null || n <= 0 ? null : (cpuSeconds * 1000) / n]),
    );
    return {
      process: name,
      stack: after.stack[name] ?? true,
      cpuSeconds,
      cores: cpuSeconds === null || seconds <= 0 ? null : cpuSeconds / seconds,
      msPer,
    };
  });
  const [unit] = Object.keys(units);
  const perUnit = Object.fromEntries(
    processes.filter((p) => p.stack && unit && p.msPer[unit] != null).map((p) => [p.process, p.msPer[unit!]!]),
  );
  return { ...label, seconds, units, processes, ceiling: unit ? ceilingOf(unit, perUnit, cores) : null };
}

/** Two windows of the same kind (repetitions) as one: their seconds, units and CPU summed. */
export function mergeWindows(a: CpuWindow, b: CpuWindow, cores: number): CpuWindow {
  const sum = (x: number | null | undefined, y: number | null | undefined) => (x == null || y == null ? null : x + y);
  const units = Object.fromEntries(Object.keys(a.units).map((u) => [u, a.units[u]! + (b.units[u] ?? 0)]));
  const seconds = a.seconds + b.seconds;
  const before: CpuSample = { at: 0, seconds: {}, stack: {} };
  const after: CpuSample = { at: seconds * 1000, seconds: {}, stack: {} };
  for (const p of a.processes) {
    before.seconds[p.process] = 0;
    after.seconds[p.process] = sum(p.cpuSeconds, b.processes.find((q) => q.process === p.process)?.cpuSeconds);
    after.stack[p.process] = p.stack;
  }
  return cpuWindow({ benchmark: a.benchmark, window: a.window }, before, after, units, cores);
}

/** `getconf CLK_TCK`: the unit of /proc's times (100 on Linux almost everywhere). */
let clockTicks: number | undefined;
export function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** Every process's `/proc/<pid>/stat` now (those that exit while it is read are left out). */
export function readProcTable(): ProcTable {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      stats.push(parseProcStat(readFileSync(`/proc/${entry}/stat`, 'utf8')));
    } catch {
      // Gone since the directory was listed.
    }
  }
  return procTable(stats);
}

/** The processes' CPU so far. */
export const sampleCpu = (processes: CpuProcess[]): CpuSample =>
  sampleOf(readProcTable(), processes, ticksPerSecond(), performance.now());

/** The machine's cores, which the ceiling fills. */
export const machineCores = () => os.cpus().length;

/** The parent of `pid` (the postmaster of a Postgres backend), or null when it cannot be read from here. */
export function parentOf(pid: number): number | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).ppid;
  } catch {
    return null;
  }
}
