// The shape of `bench/results/latest.json`: every measurement of a run, with the
// counters of each operation, and the verdict on each target of the benchmarks.

/** Which program did the work. */
export type Tool = 'lxd-api' | 'lxd-api CLI' | 'lxc' | 'incus';

/** What one operation cost, on average over the runs measured. */
export interface Counts {
  /** TCP connections the proxy accepted from the client. */
  readonly connections: number;
  /** Flights of bytes from the client, each after hearing from the server. */
  readonly turns: number;
  /**
   * Turns plus TCP handshakes (one per connection): the round trips on the way when
   * connections follow one another, an upper bound when they overlap.
   */
  readonly roundTrips: number;
  /** HTTP requests, from our transport's own count (ours only). */
  readonly requests?: number;
  /** TLS handshakes our transport completed (ours only). */
  readonly handshakes?: number;
}

/** One operation at one round-trip time, by one tool, against one server. */
export interface Measurement {
  readonly scenario: ScenarioId;
  readonly tool: Tool;
  readonly server: 'lxd' | 'incus';
  /** The round-trip time the proxy added, in milliseconds. */
  readonly rttMs: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** Every run's milliseconds, in the order measured. */
  readonly samples: readonly number[];
  readonly counts: Counts;
  /** Bytes moved, for transfers of one file. */
  readonly bytes?: number;
  /** Files in the tree, for tree transfers. */
  readonly files?: number;
  /** How it was done, where a tool has several ways (a tree by tar or by file). */
  readonly note?: string;
  /**
   * Shares of the machine's processor time while the runs were timed: busy in all,
   * and used by the benchmark's own process (ours; the clients are processes of
   * their own). The rest went to the servers, their containers and the clients.
   */
  readonly cpu: { readonly machineBusy: number; readonly ours: number };
  /** Highest resident memory above the idle process during a run (ours only). */
  readonly peakMemoryMiB?: number;
}

/** The operations measured, in the order the report shows them. */
export const scenarios = {
  'connect-cold': 'connect, cold',
  'connect-second': 'connect another instance',
  'exec-true': 'exec `true`, warm',
  'exec-1mb': 'exec printing 1 MB',
  'exec-input': 'exec with 4 KB input',
  'session-open': 'session set-up: exec and 4 WebSockets',
  'session-true': 'exec `true` in a session, warm',
  'session-1mb': 'exec printing 1 MB, in a session',
  'session-input': 'exec with 4 KB input, in a session',
  'cli-exec': 'CLI exec `true`, whole process',
  'fan-out-3': 'fan-out of `true` over 3',
  'fan-out-10': 'fan-out of `true` over 10',
  'fan-out-30': 'fan-out of `true` over 30',
  'fan-out-get-1': 'instance read on 1 (control)',
  'fan-out-get-30': 'fan-out of an instance read over 30 (control)',
  'put-small': 'put 100 B',
  'get-small': 'get 100 B',
  'put-large': 'put large file',
  'get-large': 'get large file',
  'put-tree': 'put tree',
  'get-tree': 'get tree',
} as const;

export type ScenarioId = keyof typeof scenarios;

/** The CLI's start-up, split where a preloaded probe could see it. */
export interface StartupMeasurement {
  /** From spawning `node` until the probe, the first module of ours, is loaded. */
  readonly nodeMs: number;
  /** From there until the first request is created: our modules, flags, config. */
  readonly ownMs: number;
  /** From spawning until the first request: what a user waits before any traffic. */
  readonly totalMs: number;
  readonly runs: number;
}

/** One target of the benchmarks, judged on this run. */
export interface Verdict {
  readonly target: string;
  readonly server: 'lxd' | 'incus' | 'both';
  readonly met: boolean | undefined;
  /** The figures the verdict rests on, as a ratio or a round-trip count. */
  readonly figure: string;
  /** Why it was missed or not measured, when it was. */
  readonly why?: string;
}

/** A whole run. */
export interface BenchResults {
  readonly meta: {
    readonly date: string;
    readonly quick: boolean;
    readonly node: string;
    readonly cpus: number;
    readonly cpuModel: string;
    readonly servers: Readonly<Record<string, string>>;
    /** Round trips through the proxy as measured with a loopback echo, by RTT. */
    readonly proxyRttMs: Readonly<Record<string, number>>;
    readonly durationS: number;
    /** The machine's 1-minute load average as the run began and as it ended. */
    readonly loadAverage: { readonly start: number; readonly end: number };
    readonly notes: readonly string[];
  };
  readonly measurements: readonly Measurement[];
  /**
   * An instance of a cluster's second member, direct and forwarded (`note`), exec
   * `true` and 100-byte files; absent from runs made before clusters were measured.
   */
  readonly cluster?: readonly Measurement[];
  readonly startup: StartupMeasurement;
  readonly verdicts: readonly Verdict[];
}
