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

/** What every browser bundle here shares (the widget, the admin page): one minified script, no loader. */
export const browserScript = {
  bundle: true,
  minify: true,
  format: 'iife',
  platform: 'browser',
  legalComments: 'none',
  logLevel: 'silent',
};

export async function buildWidget(outDir = defaultWidgetDir) {
  const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
  const result = await build({
    ...browserScript,
    entryPoints: [join(root, 'apps/ticker/widget/widget.ts')],
    // Browsers with shadow DOM, Intl.RelativeTimeFormat and constructable-or-inline styles.
    target: ['es2020', 'chrome90', 'firefox90', 'safari15'],
    define: { __FEEDWERK_WIDGET_VERSION__: JSON.stringify(version) },
    banner: { js: `/*! Feedwerk ticker widget ${version} */` },
    write: false,
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

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

export function describeWidget(m) {
  return `widget.js ${m.version}: ${kib(m.bytes)}, ${kib(m.gzipBytes)} gzipped, ${m.integrity}`;
}

/** The size line of docs/widget.md, between its markers. */
export const readmeSize = (m) =>
  `${kib(m.gzipBytes)} gzipped (${kib(m.bytes)} minified), socket.io-client included`;
const SIZE_MARKERS = /(<!-- widget-size -->)[\s\S]*?(<!-- \/widget-size -->)/;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const dir = args.find((arg) => !arg.startsWith('--'));
  const manifest = await buildWidget(dir ? resolve(dir) : undefined);
  console.error(describeWidget(manifest));
  if (args.includes('--docs')) {
    const file = join(root, 'docs/widget.md');
    const doc = await readFile(file, 'utf8');
    await writeFile(file, doc.replace(SIZE_MARKERS, `$1${readmeSize(manifest)}$2`));
    console.error(`docs/widget.md: ${readmeSize(manifest)}`);
  }
}
