import type { FileMeta } from '../api/files.js';
import { fileFailure, type FileContext } from './file-failure.js';
import type { Host } from './host.js';

/** A mode and owner asked for; what is left out is not to change. */
export interface Attributes {
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
}

/**
 * Gives an existing path the mode and owner asked for, with one command in the
 * instance, and only where they differ from `have`. The files API cannot: it sets
 * them only on a path it creates, and it drops setuid, setgid and sticky bits,
 * which it does not report either, so a mode with them is always applied.
 */
export async function applyAttributes(
  host: Host,
  path: string,
  want: Attributes,
  have: FileMeta,
  context: FileContext,
): Promise<void> {
  const uid = want.uid ?? have.uid;
  const gid = want.gid ?? have.gid;
  const owner = uid !== have.uid || gid !== have.gid ? `${uid}:${gid}` : '';
  const { mode } = want;
  const chmod = mode !== undefined && (mode !== have.mode || mode > 0o777);
  if (owner === '' && !chmod) return;
  // chown first: it clears setuid and setgid bits, which chmod then sets.
  const script =
    'if [ -n "$1" ]; then chown -h "$1" "$3" || exit; fi; ' +
    'if [ -n "$2" ]; then chmod "$2" "$3" || exit; fi';
  const octal = chmod ? `0${mode.toString(8)}` : '';
  try {
    await host.run(['sh', '-c', script, 'sh', owner, octal, path]);
  } catch (error) {
    throw fileFailure(error, context, path);
  }
}
