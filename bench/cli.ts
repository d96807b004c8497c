import { Command, CommanderError } from 'commander';
import { DEFAULT_BENCH, TESTBENCHES } from './testbenches/index.ts';
import { SINGLE_VM } from './harness.ts';
import { cosimCommand } from './cosim-command.ts';
import { fuzzCommand } from './fuzz-command.ts';
import { soakCommand } from './soak-command.ts';
import { runCommand } from './run-command.ts';
import { waveCommand } from './wave-command.ts';
import { VERSION } from './project.ts';
import { UsageError } from './usage-error.ts';

/** The exit code rule, stated in `--help` and the README. */
export const EXIT_CODES = `Exit codes:
  0  passed (the bench verified itself, the fuzzer found nothing, the picture was drawn)
  1  failed: the run found a defect (a bench check, an assertion, a counterexample)
  2  refused: bad usage, option or file; nothing ran and no file was changed`;

function listCommand(): Command {
  return new Command('list').description('list the testbenches').action(() => {
    const width = Math.max(...TESTBENCHES.map((b) => b.name.length));
    for (const b of TESTBENCHES) {
      const r = b.vms ?? SINGLE_VM;
      const vms = r.min === r.max ? `${r.min} VM${r.min > 1 ? 's' : ''}` : `${r.min}-${r.max} VMs`;
      console.log(`${b.name.padEnd(width)}  ${vms.padEnd(8)}  ${b.description}${b.name === DEFAULT_BENCH ? ' (default)' : ''}`);
    }
  });
}

export function buildCli(): Command {
  const program = new Command('ism-sim')
    .description('Cycle-accurate model of the s390 ISM device path: run testbenches, write waveforms, fuzz the I/O paths')
    .version(VERSION, '-V, --version', 'print the version')
    .addHelpText('after', `\n${EXIT_CODES}`)
    .exitOverride()
    .showHelpAfterError('(ism-sim --help lists the commands)');
  for (const command of [listCommand(), runCommand(), waveCommand(), fuzzCommand(), cosimCommand(), soakCommand()]) {
    // An option error prints one line and where to look, not the whole help.
    program.addCommand(command.copyInheritedSettings(program).showHelpAfterError(`(ism-sim ${command.name()} --help lists the options)`));
  }
  return program;
}

/**
 * What `ism-sim` does with an error out of a command: the exit code by the rule above and the
 * line to print (commander has printed its own already).
 */
export function exitFor(e: unknown): { code: number; message?: string } {
  if (e instanceof CommanderError) {
    // Help or version asked for: 0. Help shown because no command was given ('commander.help'): refused.
    const asked = e.code === 'commander.helpDisplayed' || e.code === 'commander.version';
    return { code: asked ? 0 : 2 };
  }
  if (e instanceof UsageError) return { code: 2, message: `ism-sim: ${e.message}` };
  return { code: 1, message: `ism-sim: ${e instanceof Error ? e.message : String(e)}` };
}
