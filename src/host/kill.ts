import { execDetached } from '../api/exec.js';
import type { Host } from './host.js';

/**
 * Kills, from a second exec, every process of the instance whose environment has
 * `variable=token`: a command and all its children, or a whole session. The API
 * cannot cancel or signal a record-output exec, so this is done from inside.
 */
export async function killMarked(host: Host, variable: string, token: string) {
  await execDetached(host.api, host.name, {
    command: ['sh', '-c', killScript, 'sh', `${variable}=${token}`],
    environment: {},
  });
}

// A few rounds over, in case one forked while the previous round ran. environ is
// NUL-separated: -z reads it entry by entry (busybox and GNU grep both have it),
// -x matches a whole entry.
const killScript = `
marker=$1
for round in 1 2 3; do
  found=
  for dir in /proc/[0-9]*; do
    if grep -qszxF "$marker" "$dir/environ" 2>/dev/null; then
      kill -9 "\${dir#/proc/}" 2>/dev/null && found=1
    fi
  done
  [ -n "$found" ] || break
done
`;
