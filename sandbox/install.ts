import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { run, succeeds } from './run.js';
import { say } from './log.js';
import type { ServerKind } from './servers.js';

const sourcesDir = '/etc/apt/sources.list.d';
const backportsFile = join(sourcesDir, 'lxd-api-sandbox-backports.sources');
const aptEnv = { DEBIAN_FRONTEND: 'noninteractive' };

/** Installs the servers' Debian packages that are missing, adding backports if needed. */
export async function installPackages(kinds: readonly ServerKind[]): Promise<void> {
  const missing: ServerKind[] = [];
  for (const kind of kinds) {
    if (await allInstalled(kind.packages)) say(kind.name, 'packages installed');
    else missing.push(kind);
  }
  if (missing.length === 0) return;

  if (missing.some((kind) => kind.release !== undefined) && !hasBackports()) {
    await writeFile(backportsFile, backportsSource());
    say('apt', `added bookworm-backports in ${backportsFile}`);
  }

  // Another source of the machine may be unreachable: apt-get update then exits
  // non-zero although Debian's lists arrived, so only the install below decides.
  await succeeds('apt-get', ['update'], { env: aptEnv });
  for (const kind of missing) {
    const release = kind.release === undefined ? [] : ['-t', kind.release];
    say(kind.name, `installing ${kind.packages.join(', ')}`);
    await run('apt-get', ['install', '-y', ...release, ...kind.packages], {
      env: aptEnv,
    });
  }
}

/** Installs a Debian package of the default release when it is missing. */
export async function ensurePackage(name: string): Promise<void> {
  if (await allInstalled([name])) return;
  say('apt', `installing ${name}`);
  const install = () => run('apt-get', ['install', '-y', name], { env: aptEnv });
  try {
    await install();
  } catch {
    // A machine that never ran apt-get update has no package lists yet.
    await succeeds('apt-get', ['update'], { env: aptEnv });
    await install();
  }
}

async function allInstalled(packages: readonly string[]): Promise<boolean> {
  try {
    const status = await run('dpkg-query', ['-W', '-f=${Status}\n', ...packages]);
    return status.split('\n').every((line) => line.endsWith(' installed'));
  } catch {
    return false;
  }
}

function hasBackports(): boolean {
  const files = ['/etc/apt/sources.list'];
  if (existsSync(sourcesDir)) {
    for (const name of readdirSync(sourcesDir)) files.push(join(sourcesDir, name));
  }
  return files.some((file) => {
    if (!/\.(list|sources)$/.test(file) || !existsSync(file)) return false;
    return readFileSync(file, 'utf8')
      .split('\n')
      .some(
        (line) =>
          !line.trimStart().startsWith('#') && line.includes('bookworm-backports'),
      );
  });
}

// Same mirror and keyring as Debian's own bookworm source.
function backportsSource(): string {
  return [
    'Types: deb',
    'URIs: http://deb.debian.org/debian',
    'Suites: bookworm-backports',
    'Components: main',
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
    '',
  ].join('\n');
}
