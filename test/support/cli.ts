import { vi } from 'vitest';
import { buildCli, exitFor } from '../../bench/cli.ts';

/** Run the CLI in-process; returns what it printed and the exit code it set. */
export async function cli(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  process.exitCode = 0;
  try {
    const program = buildCli().exitOverride();
    program.configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
    for (const c of program.commands) c.exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
    await program.parseAsync(['node', 'ism-sim', ...args]);
  } catch (e) {
    // What bench/ism-sim.mjs does with an error: the exit code rule and the one line.
    const { code, message } = exitFor(e);
    if (message) err.push(message);
    process.exitCode = code;
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out: out.join('\n'), err: err.join('\n'), code };
}

