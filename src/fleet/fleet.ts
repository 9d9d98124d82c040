import pLimit from 'p-limit';

import type { Instance } from '../api/api-client.js';
import type { ConfigOptions } from '../config/options.js';
import { resolveHost, type ResolvedRemote } from '../config/resolve.js';
import { connectResolved } from '../host/connect.js';
import type { Host } from '../host/host.js';
import { RemoteRegistry, type RemoteConnection } from '../host/remote-registry.js';
import type { RunOptions, RunResult } from '../host/run.js';
import type { Command } from '../host/command.js';
import { nameMatcher, passesFilter, type InstanceFilter } from './select.js';
import { parseTarget, type Target } from './target.js';

/** One instance a fleet works on, as the live listing of its remote gave it. */
export interface FleetMember {
  /** `remote:instance`, as output names it. */
  readonly label: string;
  /** A host spec that reaches exactly this instance. */
  readonly spec: string;
  readonly remote: ResolvedRemote;
  readonly project: string;
  readonly instance: Instance;
}

/** What a set of targets selected. */
export interface Selection {
  readonly members: FleetMember[];
  /** Instances named exactly that their remote's listing did not have. */
  readonly missing: readonly { readonly target: string; readonly where: string }[];
}

/** How one member's task ended. */
export interface MemberResult<T> {
  readonly member: FleetMember;
  /**
   * `ok`, `failed` (the task threw or its value did not count as success),
   * `unreachable` (connecting failed), or `skipped` (not started: fail-fast or abort).
   */
  readonly status: 'ok' | 'failed' | 'unreachable' | 'skipped';
  readonly value?: T;
  readonly error?: unknown;
  readonly durationMs: number;
}

/** Options of a fleet. */
export interface FleetOptions extends ConfigOptions {
  /** Shared remote connections; the fleet makes its own when none is given. */
  readonly remotes?: RemoteRegistry;
  /** Instances worked on at once at most; 16 by default. */
  readonly parallel?: number;
  /** The project to list, over each remote's own. */
  readonly project?: string;
}

/** Options of one fan-out. */
export interface ForEachOptions<T> {
  /** Start no new member after the first failure. */
  readonly failFast?: boolean;
  /** Whether a value counts as success; true by default. */
  readonly isOk?: (value: T) => boolean;
  /** Called as each member ends, in the order they end. */
  readonly onResult?: (result: MemberResult<T>) => void;
  readonly signal?: AbortSignal;
}

/**
 * Many instances at once: targets resolved against one live listing per remote
 * and project, and tasks run under a concurrency bound, all members of a remote
 * sharing its connection pool and server facts.
 */
export class Fleet {
  readonly remotes: RemoteRegistry;
  readonly #options: FleetOptions;
  readonly #owned: boolean;
  readonly #held: RemoteConnection[] = [];

  constructor(options: FleetOptions = {}) {
    this.#options = options;
    this.#owned = options.remotes === undefined;
    this.remotes = options.remotes ?? new RemoteRegistry();
  }

  /** Resolves targets (host specs, globs, `remote:`) to instances that pass `filter`. */
  async select(
    targets: readonly string[],
    filter: InstanceFilter = {},
  ): Promise<Selection> {
    const groups = new Map<
      string,
      { remote: ResolvedRemote; project: string; targets: Target[] }
    >();
    for (const spec of targets) {
      const target = parseTarget(spec);
      const { remote } = resolveHost(
        { spec, family: target.family, remote: target.remote, instance: 'x' },
        this.#options,
      );
      const project = this.#options.project ?? remote.project;
      const key = JSON.stringify([
        remote.family,
        remote.configFile,
        remote.name,
        project,
      ]);
      const group = groups.get(key) ?? { remote, project, targets: [] };
      group.targets.push(target);
      groups.set(key, group);
    }

    const members = new Map<string, FleetMember>();
    const missing: { target: string; where: string }[] = [];
    await Promise.all(
      [...groups.values()].map(async ({ remote, project, targets: wanted }) => {
        const connection = this.remotes.acquire(remote);
        this.#held.push(connection);
        const { instances } = await connection.list(project);
        for (const target of wanted) {
          const matches = nameMatcher(target.pattern);
          const found = instances.filter((instance) => matches(instance.name));
          if (target.exact && found.length === 0) {
            missing.push({
              target: target.spec,
              where: `${remote.name} (project ${project})`,
            });
          }
          for (const instance of found.filter((each) => passesFilter(each, filter))) {
            const member = makeMember(remote, project, instance);
            members.set(`${member.spec} ${project}`, member);
          }
        }
      }),
    );
    const sorted = [...members.values()].sort((a, b) => a.label.localeCompare(b.label));
    return { members: sorted, missing };
  }

  /** Connects to each member and runs `task` on it, a bounded number at once. */
  async forEach<T>(
    members: readonly FleetMember[],
    task: (host: Host, member: FleetMember) => Promise<T>,
    options: ForEachOptions<T> = {},
  ): Promise<MemberResult<T>[]> {
    const limit = pLimit(this.#options.parallel ?? 16);
    const state = { failed: false };
    const one = async (member: FleetMember): Promise<MemberResult<T>> => {
      const started = performance.now();
      const end = (fields: Omit<MemberResult<T>, 'member' | 'durationMs'>) => {
        const result = { member, durationMs: performance.now() - started, ...fields };
        if (result.status === 'failed' || result.status === 'unreachable')
          state.failed = true;
        options.onResult?.(result);
        return result;
      };
      if (
        (options.failFast === true && state.failed) ||
        options.signal?.aborted === true
      ) {
        return end({ status: 'skipped' });
      }
      let host: Host;
      try {
        host = await connectResolved(
          member.spec,
          {
            remote: member.remote,
            instance: member.instance.name,
            project: member.project,
          },
          { remotes: this.remotes, project: member.project, instance: member.instance },
        );
      } catch (error) {
        return end({ status: 'unreachable', error });
      }
      try {
        const value = await task(host, member);
        const ok = options.isOk?.(value) ?? true;
        return end({ status: ok ? 'ok' : 'failed', value });
      } catch (error) {
        return end({ status: 'failed', error });
      } finally {
        await host.disconnect();
      }
    };
    return Promise.all(members.map((member) => limit(() => one(member))));
  }

  /** Runs one command on every member; a member fails when its command does. */
  async exec(
    members: readonly FleetMember[],
    command: Command,
    runOptions: RunOptions = {},
    options: Omit<ForEachOptions<RunResult>, 'isOk'> = {},
  ): Promise<MemberResult<RunResult>[]> {
    return this.forEach(
      members,
      (host) => host.run(command, { ...runOptions, reject: false }),
      {
        ...options,
        isOk: (result) => result.ok,
      },
    );
  }

  /** Releases the remotes the fleet listed, and closes them if the fleet owns them. */
  async close(): Promise<void> {
    await Promise.all(this.#held.splice(0).map((connection) => connection.release()));
    if (this.#owned) await this.remotes.close();
  }
}

function makeMember(
  remote: ResolvedRemote,
  project: string,
  instance: Instance,
): FleetMember {
  const prefix = remote.family === 'lxd' ? '@lxd_api/' : '@incus_api/';
  return {
    label: `${remote.name}:${instance.name}`,
    spec: `${prefix}${remote.name}:${instance.name}`,
    remote,
    project,
    instance,
  };
}
