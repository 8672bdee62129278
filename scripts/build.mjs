#!/usr/bin/env node
// Compiles apps/ and libs/ to dist/ with swc (about a second; type checking is `npm run typecheck`).
// The @feedwerk/* aliases from tsconfig.json are rewritten to relative paths here, so the output
// runs on plain `node` with no loader. Static assets under apps/*/public are copied as they are.
// The embeddable widget is bundled by esbuild into dist/apps/ticker/public (scripts/build-widget.mjs),
// the admin page into dist/apps/admin/public (scripts/build-admin-page.mjs).
import { transformFile } from '@swc/core';
import { cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAdminPage, describeAdminPage } from './build-admin-page.mjs';
import { buildWidget, describeWidget } from './build-widget.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// FEEDWERK_BUILD_OUT: another folder (inside the repository, so node_modules resolves), for tests that
// run built apps without racing a test that rebuilds dist/.
const out = process.env.FEEDWERK_BUILD_OUT ? resolve(process.env.FEEDWERK_BUILD_OUT) : join(root, 'dist');
const tsconfig = JSON.parse(await readFile(join(root, 'tsconfig.json'), 'utf8'));
const swcrc = JSON.parse(await readFile(join(root, '.swcrc'), 'utf8'));
const paths = Object.fromEntries(
  Object.entries(tsconfig.compilerOptions.paths).map(([alias, [target]]) => [
    alias,
    [target.replace(/\.ts$/, '')],
  ]),
);

async function* walk(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else yield full;
  }
}

const isSource = (file) =>
  file.endsWith('.ts') && !/\.(spec|int-spec|e2e-spec)\.ts$/.test(file) && !file.endsWith('.d.ts');

await rm(out, { recursive: true, force: true });
const started = Date.now();
let compiled = 0;
for (const top of ['apps', 'libs']) {
  for (const pkg of await readdir(join(root, top))) {
    const src = join(root, top, pkg, 'src');
    const pub = join(root, top, pkg, 'public');
    await cp(pub, join(out, top, pkg, 'public'), { recursive: true }).catch((err) => {
      if (err.code !== 'ENOENT') throw err;
    });
    let files;
    try {
      files = walk(src);
      for await (const file of files) {
        if (!isSource(file)) continue;
        const { code, map } = await transformFile(file, {
          ...swcrc,
          swcrc: false,
          filename: file,
          sourceFileName: relative(join(out, relative(root, dirname(file))), file),
          jsc: { ...swcrc.jsc, baseUrl: root, paths },
        });
        const target = join(out, relative(root, file)).replace(/\.ts$/, '.js');
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, `${code}\n//# sourceMappingURL=${target.split('/').pop()}.map\n`);
        if (map) await writeFile(`${target}.map`, map);
        compiled += 1;
      }
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
    }
  }
}
console.error(`built ${compiled} files into ${relative(root, out)}/ in ${Date.now() - started} ms`);
console.error(describeWidget(await buildWidget(join(out, 'apps/ticker/public'))));
console.error(describeAdminPage(await buildAdminPage(join(out, 'apps/admin/public'))));
