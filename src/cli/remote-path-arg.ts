import { checkRemotePath } from '../host/remote-path.js';
import { UsageError } from './usage-error.js';

/**
 * Checks a REMOTE_PATH argument before any target is contacted, so that a path
 * every target would refuse is a usage error (exit code 2), said once.
 */
export function checkRemotePathArg(path: string, operation: 'putFile' | 'getFile'): void {
  try {
    checkRemotePath(path, { host: 'every target', operation, path });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
