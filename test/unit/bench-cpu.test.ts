import { readFileSync } from 'node:fs';
import {
  ceilingOf,
  cpuWindow,
  mergeWindows,
  parseProcStat,
  procTable,
  sampleOf,
  ticksOf,
  type CpuProcess,
  type ProcStat,
} from '../../bench/cpu';
import { describeCeiling } from '../../bench/report';

/** A /proc/<pid>/stat line with utime, stime, cutime and cstime (fields 14–17) as given. */
const statLine = (pid: number, comm: string, ppid: number, [u, s, cu, cs]: number[]) =>
  `${pid} (${comm}) S ${ppid} ${ppid} ${ppid} 0 -1 4194560 300 0 0 0 ${u} ${s} ${cu} ${cs} 20 0 1 0 100 1000 50 ` +
  '18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0';

describe('the benchmark CPU accounting: /proc/<pid>/stat', () => {
  it('reads own and reaped CPU ticks, even when the command name holds spaces and parentheses', () => {
    const line = statLine(4242, 'postgres: bansou bench 127.0.0.1(5432) idle', 4200, [150, 25, 7, 3]);
    expect(parseProcStat(line)).toEqual({ pid: 4242, ppid: 4200, ticks: 175, reapedTicks: 10 });
  });

  it("parses this process's own line as Linux writes it", () => {
    const own = parseProcStat(readFileSync('/proc/self/stat', 'utf8'));
    expect(own.pid).toBe(process.pid);
    expect(own.ppid).toBe(process.ppid);
    expect(own.ticks).toBeGreaterThanOrEqual(0);
  });

  it('refuses a line that is not one', () => {
    expect(() => parseProcStat('4242 no name here')).toThrow('not a /proc/<pid>/stat line');
    expect(() => parseProcStat('4242 (node) S 1 2 3')).toThrow('not a /proc/<pid>/stat line');
  });
});

describe('the benchmark CPU accounting: a process tree', () => {
  // A postmaster (10) with two backends (11, 12), one of which has a child (13); an unrelated process (20).
  const stats: ProcStat[] = [
    { pid: 10, ppid: 1, ticks: 100, reapedTicks: 40 },
    { pid: 11, ppid: 10, ticks: 30, reapedTicks: 0 },
    { pid: 12, ppid: 10, ticks: 20, reapedTicks: 5 },
    { pid: 13, ppid: 12, ticks: 1, reapedTicks: 0 },
    { pid: 20, ppid: 1, ticks: 999, reapedTicks: 999 },
  ];
  const table = procTable(stats);

  it('sums a process, the children it has reaped and every process under it', () => {
    expect(ticksOf(table, 10, true)).toBe(100 + 40 + 30 + 20 + 5 + 1);
    expect(ticksOf(table, 12, true)).toBe(26);
  });

  it("counts only a process's own time when asked (the benchmark, whose children are the stack)", () => {
    expect(ticksOf(table, 10, false)).toBe(100);
  });

  it('knows no time for a process that is gone', () => {
    expect(ticksOf(table, 99, true)).toBeNull();
  });

  it('samples named processes in seconds, summing several pids, and leaves out a process with no pid', () => {
    const processes: CpuProcess[] = [
      { name: 'Postgres server', pids: [10], tree: true, stack: true },
      { name: 'worker', pids: [11, 13], tree: true, stack: true },
      { name: 'API', pids: [], tree: true, stack: true },
      { name: 'benchmark', pids: [20], tree: false, stack: false },
    ];
    const sample = sampleOf(table, processes, 100, 5000);
    expect(sample).toEqual({
      at: 5000,
      seconds: { 'Postgres server': 1.96, worker: 0.31, benchmark: 9.99 },
      stack: { 'Postgres server': true, worker: true, benchmark: false },
    });
  });
});

describe('the benchmark CPU accounting: per unit of work and the ceiling', () => {
  const stack = { worker: true, 'Temporal dev server': true, 'Postgres server': true, benchmark: false };
  const before = {
    at: 0,
    seconds: { worker: 10, 'Temporal dev server': 5, 'Postgres server': 2, benchmark: 1 },
    stack,
  };
  // 40 s later: the worker used 24 s of CPU, Temporal 12 s, Postgres 4 s, the benchmark 2 s.
  const after = {
    at: 40_000,
    seconds: { worker: 34, 'Temporal dev server': 17, 'Postgres server': 6, benchmark: 3 },
    stack,
  };
  const window = cpuWindow(
    { benchmark: 'capacity 100', window: 'rounds window' },
    before,
    after,
    { round: 200, email: 400 },
    2,
  );
  const use = (name: string) => window.processes.find((p) => p.process === name)!;

  it('gives each process its cores used and its CPU per round and per email', () => {
    expect(window.seconds).toBe(40);
    expect(use('worker')).toEqual({
      process: 'worker',
      stack: true,
      cpuSeconds: 24,
      cores: 0.6,
      msPer: { round: 120, email: 60 },
    });
    expect(use('Temporal dev server').msPer).toEqual({ round: 60, email: 30 });
    expect(use('Postgres server').cores).toBe(0.1);
    expect(use('benchmark').msPer.round).toBe(10);
  });

  it("puts the ceiling where the stack's CPU per round fills the cores, and names who takes most", () => {
    // 120 + 60 + 20 = 200 ms per round; 2 cores = 2,000 ms per second: 10 rounds/s. The benchmark's 10 ms is not counted.
    expect(window.ceiling).toEqual({
      unit: 'round',
      perSecond: 10,
      setBy: 'worker',
      setByMs: 120,
      totalMs: 200,
      alone: { worker: 2000 / 120, 'Temporal dev server': 2000 / 60, 'Postgres server': 100 },
    });
    expect(describeCeiling(window.ceiling!)).toBe('≈ 10 rounds/s, set by the worker (120 ms per round of 200 total)');
  });

  it('has no CPU per unit when nothing was done, and no ceiling', () => {
    const idle = cpuWindow({ benchmark: 'b', window: 'w' }, before, after, { round: 0 }, 2);
    expect(idle.processes.every((p) => p.msPer.round === null)).toBe(true);
    expect(idle.ceiling).toBeNull();
    expect(ceilingOf('round', {}, 2)).toBeNull();
  });

  it('does not measure a process that restarted or was missing at one end', () => {
    const restarted = { ...after, seconds: { ...after.seconds, worker: 3, 'Postgres server': null } };
    const w = cpuWindow({ benchmark: 'b', window: 'w' }, before, restarted, { round: 100 }, 2);
    expect(w.processes.find((p) => p.process === 'worker')).toMatchObject({ cpuSeconds: null, cores: null });
    expect(w.processes.find((p) => p.process === 'Postgres server')!.msPer.round).toBeNull();
    expect(w.ceiling).toMatchObject({ setBy: 'Temporal dev server', totalMs: 120 });
  });

  it('sums repetitions of a window: seconds, units and CPU, then divides', () => {
    const again = cpuWindow(
      { benchmark: 'capacity 100', window: 'rounds window' },
      { ...before, at: 100_000 },
      { ...after, at: 120_000, seconds: { ...after.seconds, worker: 10 + 6 } },
      { round: 100, email: 200 },
      2,
    );
    const both = mergeWindows(window, again, 2);
    expect(both.seconds).toBe(60);
    expect(both.units).toEqual({ round: 300, email: 600 });
    const worker = both.processes.find((p) => p.process === 'worker')!;
    expect(worker.cpuSeconds).toBe(30);
    expect(worker.cores).toBe(0.5);
    expect(worker.msPer.round).toBe(100);
  });
});
