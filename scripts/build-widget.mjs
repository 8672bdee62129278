#!/usr/bin/env node
// Bundles the embeddable widget (apps/ticker/widget, socket.io-client included) into one minified
// file, and writes its manifest: version, size, gzipped size and the SRI hash partners pin.
//   node scripts/build-widget.mjs [outDir]   (default dist/apps/ticker/public; scripts/build.mjs calls it)
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const defaultWidgetDir = join(root, 'dist/apps/ticker/public');

export async function buildWidget(outDir = defaultWidgetDir) {
  const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
  const result = await build({
    entryPoints: [join(root, 'apps/ticker/widget/widget.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    // Browsers with shadow DOM, Intl.RelativeTimeFormat and constructable-or-inline styles.
    target: ['es2020', 'chrome90', 'firefox90', 'safari15'],
    define: { __FEEDWERK_WIDGET_VERSION__: JSON.stringify(version) },
    banner: { js: `/*! Feedwerk ticker widget ${version} */` },
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const code = Buffer.from(result.outputFiles[0].contents);
  const sha384 = createHash('sha384').update(code).digest('base64');
  const hex = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const manifest = {
    name: 'feedwerk-ticker-widget',
    version,
    file: 'widget.js',
    // Same bytes under a name that changes with them: safe to cache forever and to pin with SRI.
    immutableFile: `widget/${hex}.js`,
    bytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    integrity: `sha384-${sha384}`,
  };
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'widget.js'), code);
  await writeFile(join(outDir, 'widget.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const manifest = await buildWidget(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.error(describeWidget(manifest));
}

export function describeWidget(m) {
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  return `widget.js ${m.version}: ${kib(m.bytes)}, ${kib(m.gzipBytes)} gzipped, ${m.integrity}`;
}
