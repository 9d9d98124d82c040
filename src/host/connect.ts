import type { Instance } from '../api/api-client.js';
import type { ConfigOptions } from '../config/options.js';
import { resolveHost, type ResolvedHost } from '../config/resolve.js';
import { familyFacts } from '../config/family.js';
import { Host } from './host.js';
import type { RunMode } from './run.js';
import { InstanceStateError } from './errors.js';
import { sharedRemotes, type RemoteRegistry } from './remote-registry.js';

/** Options of `connect`. */
export interface ConnectOptions extends ConfigOptions {
  /** The project to look for the instance in, over the remote's own. */
  readonly project?: string;
  /** The registry whose shared remote connections to use; the process's by default. */
  readonly remotes?: RemoteRegistry;
  /**
   * The instance as a listing already gave it: connecting then reads only the
   * server's facts, and nothing when another host of the remote read them.
   */
  readonly instance?: Instance;
  /** How the host's commands run unless a call says otherwise; `record` by default. */
  readonly mode?: RunMode;
  /** Session mode may fall back to record-output when WebSockets cannot be opened. */
  readonly fallback?: boolean;
  /** Sessions open at once on the host at most, in session mode; 8 by default. */
  readonly sessions?: number;
}

/**
 * Connects to an instance named by a host spec (`@lxd_api/prod:web-1`, `web-1`, …):
 * checks that the server trusts us and can record exec output, and that the
 * instance exists and is running.
 */
export async function connect(spec: string, options: ConnectOptions = {}): Promise<Host> {
  return connectResolved(spec, resolveHost(spec, options), options);
}

/** Connects to an instance whose host spec was already resolved against the config. */
export async function connectResolved(
  spec: string,
  resolved: ResolvedHost,
  options: ConnectOptions = {},
): Promise<Host> {
  const project = options.project ?? resolved.project;
  const connection = (options.remotes ?? sharedRemotes).acquire(resolved.remote);
  try {
    const { facts, instance } =
      options.instance === undefined
        ? await connection.lookup(resolved.instance, project)
        : { facts: await connection.serverFacts(), instance: options.instance };
    if (instance.status !== 'Running') {
      const { client } = familyFacts[resolved.remote.family];
      const remote = resolved.remote.name;
      throw new InstanceStateError(
        `Instance \`${resolved.instance}\` on remote \`${remote}\` (project \`${project}\`) ` +
          `is ${instance.status}, not Running; start it with \`${client} start ` +
          `${remote}:${resolved.instance} --project ${project}\`.`,
        { remote, project, instance: resolved.instance, status: instance.status },
      );
    }
    // A clustered remote's instance is reached at its own member.
    const route = facts.clustered
      ? await connection.routeFor(instance, project)
      : undefined;
    return new Host({
      spec,
      connection,
      project,
      facts,
      instance,
      route,
      ...(options.mode === undefined ? {} : { mode: options.mode }),
      ...(options.fallback === undefined ? {} : { fallback: options.fallback }),
      ...(options.sessions === undefined ? {} : { maxSessions: options.sessions }),
    });
  } catch (error) {
    await connection.release();
    throw error;
  }
}
