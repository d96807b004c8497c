#!/usr/bin/env node
// Entry point for the `ism-sim` command: load the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';
register();
const { buildCli } = await import('./cli.ts');
await buildCli().parseAsync(process.argv).catch((e) => {
  console.error(`ism-sim: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
