import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

import { stringify } from 'yaml';

/** What an image's `metadata.yaml` says about it, and the files it templates. */
export interface ImageInfo {
  readonly description: string;
  readonly os: string;
  readonly release: string;
  /**
   * Files the server writes into each new container (on create and on copy), by
   * absolute path; the text is a pongo2 template that may use `instance.name`.
   */
  readonly templates?: Readonly<Record<string, string>>;
}

/**
 * Writes `metadata.yaml` and the template files of an image into `dir`, and returns
 * the entries of `dir` that belong in the image's metadata tarball.
 */
export async function writeMetadata(dir: string, info: ImageInfo): Promise<string[]> {
  const templates = Object.entries(info.templates ?? {});
  if (templates.length > 0) await mkdir(join(dir, 'templates'));
  for (const [path, text] of templates) {
    await writeFile(join(dir, 'templates', templateFile(path)), text);
  }

  const metadata = {
    architecture: 'x86_64',
    creation_date: Math.floor(Date.now() / 1000),
    properties: { description: info.description, os: info.os, release: info.release },
    templates: Object.fromEntries(
      templates.map(([path]) => [
        path,
        { when: ['create', 'copy'], template: templateFile(path) },
      ]),
    ),
  };
  await writeFile(join(dir, 'metadata.yaml'), stringify(metadata));
  return templates.length > 0 ? ['metadata.yaml', 'templates'] : ['metadata.yaml'];
}

function templateFile(path: string): string {
  return `${basename(path)}.tpl`;
}
