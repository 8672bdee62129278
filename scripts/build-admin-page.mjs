#!/usr/bin/env node
// Builds the admin page (apps/admin/page) into the folder the admin app serves: its static files as
// they are, and its TypeScript bundled by esbuild into one admin.js.
//   node scripts/build-admin-page.mjs [outDir]   (default dist/apps/admin/public; scripts/build.mjs calls it)
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { browserScript } from './build-widget.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pageDir = join(root, 'apps/admin/page');
export const defaultAdminPageDir = join(root, 'dist/apps/admin/public');
/** Served as they are (apps/admin/src/page/admin-page.controller.ts names each one). */
const STATIC_FILES = ['index.html', 'admin.css', 'favicon.svg'];

export async function buildAdminPage(outDir = defaultAdminPageDir) {
  await mkdir(outDir, { recursive: true });
  for (const file of STATIC_FILES) await copyFile(join(pageDir, file), join(outDir, file));
  const result = await build({
    ...browserScript,
    entryPoints: [join(pageDir, 'admin.ts')],
    // The browsers an operator runs: evergreen ones (the page uses Array.prototype.at, optional chaining).
    target: ['es2022', 'chrome100', 'firefox100', 'safari15.4'],
    tsconfig: join(root, 'tsconfig.json'),
    outfile: join(outDir, 'admin.js'),
    metafile: true,
  });
  const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  return { dir: outDir, bytes };
}

export const describeAdminPage = ({ dir, bytes }) =>
  `admin page: admin.js ${(bytes / 1024).toFixed(1)} KiB and ${STATIC_FILES.join(', ')} in ${relative(root, dir) || '.'}`;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  console.error(describeAdminPage(await buildAdminPage(dir ? resolve(dir) : undefined)));
}
