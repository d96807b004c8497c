#!/usr/bin/env node
// Entry point for the `ism-sim` command: load the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';

// `ism-sim list | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
register();
const { buildCli, exitFor } = await import('./cli.ts');
await buildCli()
  .parseAsync(process.argv)
  .catch((e) => {
    const { code, message } = exitFor(e);
    if (message) console.error(message);
    process.exitCode = code;
  });
