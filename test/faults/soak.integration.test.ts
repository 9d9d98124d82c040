// A short soak in the suite (the full one is `npm run soak`): a few hundred
// commands on one host over one connection, with failures and injected faults
// mixed in, leave file descriptors and memory flat and no file on the server.
// The bounds are generous: they catch a leak per command, not noise.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { sandboxServers } from '../helpers/sandbox.js';
import { soak } from '../helpers/soak.js';

test('180 commands with failures and faults leave fds, memory and the server clean', async () => {
  const server = sandboxServers()[1] ?? sandboxServers()[0];
  assert.ok(server);
  const count = 180;
  const figures = await soak(server, { count, faultEvery: 18 });
  const detail = JSON.stringify(figures);

  assert.deepEqual(figures.leftovers, [], detail);
  assert.equal(figures.outcomes.ok, count / 2, detail);
  assert.equal(figures.outcomes['exit 3'], count / 6, detail);
  assert.equal(figures.outcomes['exit 127'], count / 6, detail);
  assert.equal(figures.outcomes['exit 1'], count / 6, detail);
  // One connection, plus at most one new one per fault that broke it.
  assert.ok(figures.connections <= 1 + figures.faults, detail);
  assert.ok(figures.fds.end - figures.fds.warm <= 10, `fds grew: ${detail}`);
  assert.ok(figures.heapMiB.end - figures.heapMiB.warm <= 16, `heap grew: ${detail}`);
});
