#!/usr/bin/env node
// `npm run contract`: writes the written contract (docs/contract/) from the zod definitions in
// libs/contracts: a JSON Schema 2020-12 file per event and public schema version, and the AsyncAPI
// document. A schema version that is already checked in may only change compatibly: a breaking
// change is refused here (bump the version, add an upcaster, keep the old one in legacy.ts), so the
// checked-in files stay the baseline that the compatibility test compares against.
import { build } from 'esbuild';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'docs/contract');

// The generator is TypeScript; bundle it in memory (esbuild resolves the @feedwerk/* paths).
const bundle = await build({
  entryPoints: [join(root, 'libs/contracts/src/contract/index.ts')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  write: false,
  packages: 'external',
  tsconfig: join(root, 'tsconfig.json'),
  logLevel: 'error',
});
const module = { exports: {} };
new Function('module', 'exports', 'require', bundle.outputFiles[0].text)(
  module,
  module.exports,
  createRequire(join(root, 'package.json')),
);
const { buildContractFiles, contractCompatibilityProblems } = module.exports;

const readCheckedIn = (path) => readFile(join(out, path), 'utf8').catch(() => undefined);
const generated = buildContractFiles();
const checkedIn = new Map();
for (const path of generated.keys()) checkedIn.set(path, await readCheckedIn(path));

const problems = contractCompatibilityProblems((path) => checkedIn.get(path));
if (problems.length > 0) {
  console.error(
    `refusing to write the contract:\n  ${problems.join('\n  ')}\n` +
      'Old definitions live in libs/contracts/src/contract/legacy.ts.',
  );
  process.exit(1);
}

let changed = 0;
for (const [path, content] of generated) {
  if (checkedIn.get(path) === content) continue;
  await mkdir(dirname(join(out, path)), { recursive: true });
  await writeFile(join(out, path), content);
  console.error(`wrote docs/contract/${path}`);
  changed += 1;
}
console.error(changed === 0 ? 'docs/contract is up to date' : `${changed} file(s) written`);
