// The package's version, for `lxd-api --version`: read from the package.json above
// this file, which is two folders up in the bundle (dist/cli/) and three in the
// compiled tree (dist/src/cli/).
import { readFileSync } from 'node:fs';

/** The version in lxd-api-connector's package.json, or `unknown` if it is not found. */
export function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const text = readFileSync(new URL(up, import.meta.url), 'utf8');
      const manifest = JSON.parse(text) as { name?: unknown; version?: unknown };
      if (manifest.name === 'lxd-api-connector' && typeof manifest.version === 'string') {
        return manifest.version;
      }
    } catch {
      // Not this folder: try the next one up.
    }
  }
  return 'unknown';
}
