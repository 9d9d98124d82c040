// What a server is and how it behaves, learned once from GET /1.0 and kept with the
// remote. The api layer branches on these facts, never on version strings.

/** The parts of `GET /1.0` this library reads. */
export interface ServerInfo {
  /** `trusted` or `untrusted`. */
  readonly auth: string;
  readonly api_extensions: readonly string[];
  readonly api_version: string;
  readonly environment?: {
    readonly server?: string;
    readonly server_name?: string;
    readonly server_version?: string;
    readonly server_clustered?: boolean;
    readonly project?: string;
  };
}

/** How a server behaves, where LXD versions and Incus differ. */
export interface ServerFacts {
  readonly kind: 'lxd' | 'incus';
  readonly version: string;
  readonly name: string | undefined;
  readonly clustered: boolean;
  readonly extensions: ReadonlySet<string>;
  /**
   * Where exec output files live under `/1.0/instances/<name>/logs/`: directly
   * (LXD up to 5.14) or in `exec-output/` (LXD 5.15 and later, Incus). No API
   * extension marks the change, so the version decides; the finished operation's
   * `output` is the final word.
   */
  readonly execOutputDir: '' | 'exec-output/';
  /** The header family of the files API: LXD answers X-LXD-*, Incus X-Incus-*. */
  readonly fileHeaderPrefix: 'X-LXD-' | 'X-Incus-';
  /**
   * Whether `/operations/<id>/wait` sends its headers at once and may answer an
   * error object without the exit code (Incus, newer LXD), rather than answering
   * only when the operation ends (LXD 5.0).
   */
  readonly waitAnswersEarly: boolean;
}

/** The API extensions this library needs, and what each gives it. */
export const requiredExtensions = {
  container_exec_recording: 'exec with record-output',
} as const;

/** Derives a server's facts from its `GET /1.0` answer. */
export function serverFacts(info: ServerInfo): ServerFacts {
  const kind = info.environment?.server === 'incus' ? 'incus' : 'lxd';
  const version = info.environment?.server_version ?? '0';
  const modern = kind === 'incus' || compareVersions(version, '5.15') >= 0;
  return {
    kind,
    version,
    name: info.environment?.server_name,
    clustered: info.environment?.server_clustered ?? false,
    extensions: new Set(info.api_extensions),
    execOutputDir: modern ? 'exec-output/' : '',
    fileHeaderPrefix: kind === 'incus' ? 'X-Incus-' : 'X-LXD-',
    waitAnswersEarly: modern,
  };
}

/** Compares dotted version numbers: negative, zero or positive. */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const right = b.split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(left.length, right.length); i += 1) {
    const diff = (left[i] ?? 0) - (right[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
