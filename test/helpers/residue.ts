// What a command can leave behind in an instance: recorded output files in its
// logs, and input files in /tmp. Tests list both to prove that nothing remains.
import type { Host } from '../../src/host/host.js';

/** The names of exec output files left in the instance's logs. */
export async function leftoverOutputFiles(host: Host): Promise<string[]> {
  const dir = `/1.0/instances/${host.name}/logs${host.facts.execOutputDir === '' ? '' : '/exec-output'}`;
  const response = await host.api.transport.request({
    method: 'GET',
    path: host.api.path(dir),
  });
  const body = (await response.body.json()) as { metadata: string[] | null };
  // Incus creates exec-output/ with the first recorded command: 404 means none yet.
  if (response.statusCode === 404) return [];
  if (response.statusCode !== 200) {
    throw new Error(`listing ${dir} answered ${response.statusCode}`);
  }
  return (body.metadata ?? []).filter((url) => /exec_[^/]*\.std(out|err)$/.test(url));
}

/** Input files of ours left in the instance's /tmp. */
export async function leftoverInputFiles(host: Host): Promise<string[]> {
  const listing = await host.run('ls -A /tmp');
  return String(listing.stdout)
    .split('\n')
    .filter((name) => name.startsWith('.lxd-api-stdin-'));
}

/** Output files of the given operations still in the instance's logs. */
export async function operationFiles(
  host: Host,
  operations: readonly string[],
): Promise<string[]> {
  const left = await leftoverOutputFiles(host);
  return left.filter((url) => operations.some((id) => url.includes(`exec_${id}`)));
}

/**
 * Deletes the output files of a command whose operation id the client never
 * learned (its exec answer was lost): the files that appeared since `before` and
 * whose stdout is `marker`. Other clients' files are left alone.
 */
export async function removeOrphanedOutput(
  host: Host,
  before: ReadonlySet<string>,
  marker: string,
): Promise<number> {
  const fresh = (await leftoverOutputFiles(host)).filter((url) => !before.has(url));
  let removed = 0;
  for (const stdout of fresh.filter((url) => url.endsWith('.stdout'))) {
    const read = await host.api.transport.request({
      method: 'GET',
      path: host.api.path(stdout),
    });
    if ((await read.body.text()).trim() !== marker) continue;
    for (const url of [stdout, stdout.replace(/\.stdout$/, '.stderr')]) {
      const response = await host.api.transport.request({
        method: 'DELETE',
        path: host.api.path(url),
      });
      await response.body.dump();
      removed += 1;
    }
  }
  return removed;
}
