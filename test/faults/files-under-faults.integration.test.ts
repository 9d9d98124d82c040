// File transfers under faults, through the FAULT proxy to the sandbox's real LXD
// and Incus: an upload or a download either completes with the right SHA-256 or
// fails with a typed error; a cut body is never success; with `atomic`, the old
// file is intact after a failure.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';

import { LxdApiError } from '../../src/errors.js';
import type { Host } from '../../src/host/host.js';
import type { HttpFault } from '../helpers/fault-proxy.js';
import { faultBench, type FaultBench } from '../helpers/fault-setup.js';
import { sandboxServers } from '../helpers/sandbox.js';
import { scratchDir } from '../helpers/scratch.js';

const faults: readonly HttpFault[] = [
  { kind: 'status', status: 503 },
  { kind: 'drop' },
  { kind: 'close-after-forward' },
  { kind: 'cut' },
  { kind: 'cut', at: 1 },
];

const content = randomBytes(300 * 1024);
const older = randomBytes(100 * 1024);

describe('files on LXD and Incus (side by side), behind a fault proxy', () => {
  let benches: FaultBench[];
  before(async () => {
    benches = await Promise.all(
      sandboxServers().map((server) => faultBench(server, server.instances[2] ?? 'db-1')),
    );
  });
  after(async () => {
    await Promise.all(
      benches.map(async (bench) => {
        await bench.direct.run(['sh', '-c', 'rm -rf /tmp/lxd-api-fault-files-*']);
        await bench.close();
      }),
    );
  });

  for (const fault of faults) {
    const name = describe_(fault);

    test(`upload with ${name}: the file has the right SHA-256, or a typed error`, async () => {
      await Promise.all(
        benches.map(async (bench) => {
          const path = remotePath('up');
          bench.proxy.reset();
          bench.proxy.inject({ method: 'POST', path: encodeURIComponent(path), fault });
          const outcome = await bench.host
            .putFile(content, path)
            .catch((e: unknown) => e);
          assert.deepEqual(bench.proxy.unused, []);
          if (outcome instanceof Error) {
            assert.ok(outcome instanceof LxdApiError, String(outcome));
          } else {
            assert.equal(await remoteSha(bench.direct, path), sha(content));
          }
        }),
      );
    });

    test(`download with ${name}: the right SHA-256, or a typed error and no local file`, async () => {
      await Promise.all(
        benches.map(async (bench) => {
          const path = remotePath('down');
          await bench.direct.putFile(content, path);
          const folder = scratchDir('fault-get-');
          const local = join(folder, 'copy');
          bench.proxy.reset();
          bench.proxy.inject({
            method: 'GET',
            path: `files?path=${encodeURIComponent(path)}`,
            fault,
          });
          const outcome = await bench.host.getFile(path, local).catch((e: unknown) => e);
          assert.deepEqual(bench.proxy.unused, []);
          // A GET is retried until its answer starts; a cut body is not read again.
          if (fault.kind !== 'cut') {
            assert.ok(!(outcome instanceof Error), `not retried: ${String(outcome)}`);
          }
          if (outcome instanceof Error) {
            assert.ok(outcome instanceof LxdApiError, String(outcome));
            assert.deepEqual(readdirSync(folder), [], 'a cut download left a file');
          } else {
            assert.equal(sha(readFileSync(local)), sha(content));
          }
        }),
      );
    });

    test(`an atomic upload with ${name} leaves the old file whole or the new one`, async () => {
      await Promise.all(
        benches.map(async (bench) => {
          const path = remotePath('atomic');
          await bench.direct.putFile(older, path);
          bench.proxy.reset();
          // The temporary file beside the target: the write that carries the bytes.
          bench.proxy.inject({ method: 'POST', path: /\.lxd-api-[0-9a-f]+\.tmp/, fault });
          const outcome = await bench.host
            .putFile(content, path, { atomic: true })
            .catch((e: unknown) => e);
          const now = await remoteSha(bench.direct, path);
          if (outcome instanceof Error) {
            assert.ok(outcome instanceof LxdApiError, String(outcome));
            assert.equal(now, sha(older), `the old file changed: ${outcome.message}`);
          } else {
            assert.equal(now, sha(content));
          }
          const siblings = await bench.direct.readDir('/tmp');
          assert.deepEqual(
            siblings.filter((each) => each.includes(`${path.slice(5)}.lxd-api-`)),
            [],
            'a temporary file was left',
          );
        }),
      );
    });
  }

  test('a download whose body is cut never reports success, over many tries', async () => {
    for (const bench of benches) {
      const path = remotePath('many');
      await bench.direct.putFile(content, path);
      for (const at of [0, 1, 4096, content.length - 1]) {
        bench.proxy.reset();
        bench.proxy.inject({
          method: 'GET',
          path: `files?path=${encodeURIComponent(path)}`,
          fault: { kind: 'cut', at },
          times: 10,
        });
        const sink = hashing();
        const outcome = await bench.host.getFile(path, sink).catch((e: unknown) => e);
        assert.ok(outcome instanceof LxdApiError, `cut at ${at} gave ${String(outcome)}`);
        assert.ok(!existsSync(join('/nonexistent', path)));
      }
    }
  });
});

let serial = 0;
function remotePath(what: string): string {
  serial += 1;
  return `/tmp/lxd-api-fault-files-${process.pid}-${what}-${serial}`;
}

function sha(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function remoteSha(host: Host, path: string): Promise<string> {
  const sink = hashing();
  await host.getFile(path, sink);
  return sink.digest();
}

function hashing(): Writable & { digest(): string } {
  const hash = createHash('sha256');
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done();
    },
  }) as Writable & { digest(): string };
  sink.digest = () => hash.digest('hex');
  return sink;
}

function describe_(fault: HttpFault): string {
  if (fault.kind === 'status') return `a ${fault.status}`;
  if (fault.kind === 'cut') return `a body cut at ${fault.at ?? 'half'}`;
  return `a ${fault.kind}`;
}
