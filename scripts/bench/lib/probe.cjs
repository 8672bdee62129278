// Preloaded into benchmarked server processes (`node --expose-gc --require …/probe.cjs app.js`):
// on SIGUSR2 it collects garbage and prints the process's memory, so the benchmark reads memory that
// is held, not garbage that happens not to be collected yet. Benchmark-only; no app code knows of it.
'use strict';
process.on('SIGUSR2', () => {
  if (typeof global.gc === 'function') {
    global.gc();
    global.gc();
  }
  const m = process.memoryUsage();
  process.stdout.write(
    `bench-probe memory rss=${m.rss} heapUsed=${m.heapUsed} external=${m.external} arrayBuffers=${m.arrayBuffers}\n`,
  );
});
