import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { FleetMember, MemberResult } from '../../src/fleet/fleet.js';
import { summaryLines } from '../../src/cli/summary.js';

describe('summaryLines', () => {
  test('counts a named instance that no remote has among the instances', () => {
    const lines = summaryLines(
      [],
      [{ target: 'lxd:nope', where: 'lxd (project default)' }],
      3,
    );
    assert.equal(
      lines[0],
      '0 succeeded, 1 failed, 0 timed out, 0 could not connect (1 instance, 3 ms)',
    );
    assert.equal(lines[1], '  failed: lxd:nope: not found on lxd (project default)');
  });

  test('adds the instances run to those not found', () => {
    const ran: MemberResult<unknown>[] = [
      result('lxd:web-1', 'ok', 40),
      result('lxd:web-2', 'failed', 1250, { exitCode: 2, stderr: 'no such file\n' }),
    ];
    const lines = summaryLines(ran, [{ target: 'lxd:db-9', where: 'lxd' }], 1250);
    assert.equal(
      lines[0],
      '1 succeeded, 2 failed, 0 timed out, 0 could not connect (3 instances, 1.3 s)',
    );
    assert.deepEqual(lines.slice(1), [
      '  failed: lxd:web-2: exit 2: no such file',
      '  failed: lxd:db-9: not found on lxd',
      '  slowest: lxd:web-2 1250 ms, lxd:web-1 40 ms',
    ]);
  });
});

function result(
  label: string,
  status: MemberResult<unknown>['status'],
  durationMs: number,
  value?: unknown,
): MemberResult<unknown> {
  const member = { label } as FleetMember;
  return { member, status, durationMs, ...(value === undefined ? {} : { value }) };
}
