// What a run costs besides time: the processors' load, and our resident memory.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * How busy the machine's processors were while runs were timed, and how much of
 * that was this process: what tells a slow server from a slow client.
 */
export class CpuMeter {
  #machine = { busy: 0, total: 0 };
  #ours = 0;
  #wall = 0;
  #from = { machine: { busy: 0, total: 0 }, ours: 0, wall: 0 };

  start(): void {
    this.#from = { machine: machineTicks(), ours: ourCpuMs(), wall: performance.now() };
  }

  stop(): void {
    const machine = machineTicks();
    this.#machine.busy += machine.busy - this.#from.machine.busy;
    this.#machine.total += machine.total - this.#from.machine.total;
    this.#ours += ourCpuMs() - this.#from.ours;
    this.#wall += performance.now() - this.#from.wall;
  }

  shares(): { machineBusy: number; ours: number } {
    const capacity = this.#wall * cpus().length;
    return {
      machineBusy: share(this.#machine.busy / Math.max(1, this.#machine.total)),
      ours: share(this.#ours / Math.max(1, capacity)),
    };
  }
}

// Jiffies of all processors from /proc/stat: busy ones, and all.
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const [, ...fields] = line.trim().split(/\s+/).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

function ourCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function share(value: number): number {
  return Math.round(Math.min(1, Math.max(0, value)) * 100) / 100;
}

/**
 * Resident memory above what the process held when the run began, sampled every
 * 5 ms: a transfer that buffered its whole file would show it here.
 */
export function memoryPeak(): { stop: () => number } {
  const idle = process.memoryUsage.rss();
  let peak = idle;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss()) - idle;
    },
  };
}
