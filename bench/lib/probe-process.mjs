// For bench/workers-threads.mjs: a child process that imports the load engine and says so (the
// start-up cost of one `--workers` process alone, as bench/lib/sender-thread.mjs's probe for a thread).
await import('../../dist/load/runner.js');
process.send({ type: 'loaded' }, () => process.disconnect());
