import type { ClientConfig } from './client-config.js';
import { displayPath } from './config-dir.js';
import { ConfigDocument } from './config-document.js';
import { checkWritable, FileChanges } from './file-changes.js';

/**
 * Edits the user's `config.yml` of `config`, and with it any file `edit` stages,
 * as one change: the files it stages are put in place first and `config.yml`
 * last; when anything fails, every file is left as it was.
 */
export function changeConfig(
  config: ClientConfig,
  edit: (doc: ConfigDocument, changes: FileChanges) => void,
): void {
  const { dir, file } = config.paths;
  checkWritable(dir);
  const doc = ConfigDocument.load(config.family, file, displayPath(file, config.home));
  const changes = new FileChanges();
  try {
    edit(doc, changes);
    // The clients create config.yml with the default mode: 0644 under umask 022.
    changes.write(file, doc.toString(), 0o644);
    changes.commit();
  } catch (error) {
    changes.discard();
    throw error;
  }
}
