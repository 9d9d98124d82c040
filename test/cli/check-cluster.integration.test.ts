// `lxd-api check` on the sandbox's real clusters: each instance with the member it
// lives on and whether requests go straight to it.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { lxdApi } from '../helpers/cli.js';
import { sandboxClusters } from '../helpers/cluster.js';

test('check shows the member of each clustered instance, reached direct', async () => {
  const clusters = sandboxClusters();
  const { code, stdout } = await lxdApi([
    'check',
    ...clusters.map((cluster) => `${cluster.remote}:cl-*`),
    '--json',
  ]);
  assert.equal(code, 0, stdout);
  const records = stdout
    .trimEnd()
    .split('\n')
    .map(
      (line) => JSON.parse(line) as { instance: string; member: string; route: string },
    )
    .map(({ instance, member, route }) => [instance, member, route]);
  const expected = clusters.flatMap((cluster) =>
    cluster.members.map((member) => [
      `${cluster.remote}:${member.container}`,
      member.name,
      'direct',
    ]),
  );
  assert.deepEqual(records.sort(), expected.sort());
});

test('check on a single server shows no member', async () => {
  const { code, stdout } = await lxdApi(['check', 'lxd:web-1', '--json']);
  assert.equal(code, 0, stdout);
  const record = JSON.parse(stdout) as Record<string, unknown>;
  assert.equal(record.member, undefined);
  assert.equal(record.route, undefined);
});
