// Writes a scenario's result as docs/benchmarks/<scenario>-<yyyy-mm-dd>.json in the shape every
// scenario shares (scenario, date, machine, figures, series, notes), then refreshes the report
// (scripts/bench/report.mjs) when it is there.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(here, '../..');

export async function writeResult(scenario, { figures, series = {}, notes = '', ...rest }) {
  const date = new Date().toISOString();
  const result = {
    scenario,
    date,
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      // Other work on the machine skews every figure: the load average when the run ended.
      load: loadavg().map((l) => Number(l.toFixed(2))),
      node: process.version,
    },
    figures,
    series,
    notes,
    ...rest,
  };
  await mkdir(join(root, 'docs/benchmarks'), { recursive: true });
  const file = join(root, 'docs/benchmarks', `${scenario}-${date.slice(0, 10)}.json`);
  let text = `${JSON.stringify(result, null, 2)}\n`;
  try {
    // Checked in: formatted as `npm run format:check` expects (prettier is a dev dependency).
    const prettier = await import('prettier');
    text = await prettier.format(text, { ...(await prettier.resolveConfig(file)), filepath: file });
  } catch {
    // Without prettier the file is still valid JSON.
  }
  await writeFile(file, text);
  console.log(`result: ${file}`);
  const report = join(here, 'report.mjs');
  if (existsSync(report)) await (await import(pathToFileURL(report).href)).run([]);
  return result;
}
