/**
 * CPU accounting for "where the time goes": CPU seconds used by each process of the pipeline
 * (this benchmark process = SDK producer + poller, the ingest consumer, Kafka, ClickHouse) over a
 * measurement, read from /proc (Linux). Where /proc or `ss` is unavailable (e.g. services in
 * Docker) the missing processes are simply not reported; nothing here ever throws.
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const CLOCK_TICKS = 100; // USER_HZ: 100 on every Linux distribution Node supports

/** user + system CPU seconds of a process so far, or null when it cannot be read. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** CPU seconds all cores of the machine spent busy so far (from /proc/stat), or null. */
export function machineBusySeconds(): number | null {
  try {
    const first = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const [, user, nice, system, idle, iowait, irq, softirq, steal] = first.trim().split(/\s+/).map(Number);
    void idle;
    void iowait;
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** The pid listening on a local TCP port (via `ss -ltnp`), or null. */
export function pidListeningOn(port: number): number | null {
  const r = spawnSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  const m = r.status === 0 ? /pid=(\d+)/.exec(r.stdout) : null;
  return m ? Number(m[1]) : null;
}

export type CpuShares = Record<string, number>;

const MACHINE = 'machine';

/** Measures CPU seconds per named process between `start()` and `stop()`. */
export class CpuMeter {
  private startValues = new Map<string, number>();
  private startedAt = 0;

  constructor(private readonly pids: Record<string, number | null>) {}

  start(): void {
    this.startedAt = performance.now();
    this.startValues.clear();
    for (const [name, pid] of Object.entries(this.pids)) {
      const v = pid === null ? null : cpuSeconds(pid);
      if (v !== null) this.startValues.set(name, v);
    }
    const busy = machineBusySeconds();
    if (busy !== null) this.startValues.set(MACHINE, busy);
  }

  /**
   * Cores used on average by each process (1.0 = one core busy all the time), plus `wallSeconds`,
   * `machine` (all busy cores) and `other` (busy cores not used by the named processes: other
   * work on the machine disturbs the measurement and is reported, not hidden).
   */
  stop(): CpuShares {
    const wall = (performance.now() - this.startedAt) / 1000;
    const out: CpuShares = { wallSeconds: round(wall) };
    let tracked = 0;
    for (const [name, before] of this.startValues) {
      const pid = this.pids[name];
      const after = name === MACHINE ? machineBusySeconds() : pid == null ? null : cpuSeconds(pid);
      if (after === null || wall <= 0) continue;
      out[name] = round((after - before) / wall);
      if (name !== MACHINE) tracked += out[name];
    }
    if (out[MACHINE] !== undefined) out['other'] = round(Math.max(0, out[MACHINE] - tracked));
    return out;
  }
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
