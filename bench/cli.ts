import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_BENCH, TESTBENCHES, findBench } from './testbenches/index.ts';
import { formatSummary } from './summary.ts';

function integer(name: string, min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

export function buildCli(): Command {
  const program = new Command('ism-sim')
    .description('Cycle-accurate model of the s390 ISM device path: run testbenches, write waveforms, fuzz the I/O paths')
    .showHelpAfterError();

  program
    .command('list')
    .description('list the testbenches')
    .action(() => {
      const width = Math.max(...TESTBENCHES.map((b) => b.name.length));
      for (const b of TESTBENCHES) console.log(`${b.name.padEnd(width)}  ${b.description}${b.name === DEFAULT_BENCH ? ' (default)' : ''}`);
    });

  program
    .command('run')
    .description('run a testbench, write its waveform and print a summary')
    .argument('[bench]', 'testbench name (see `ism-sim list`)', DEFAULT_BENCH)
    .option('--vcd <path>', 'waveform file (default waves/<bench>.vcd)')
    .option('--no-vcd', 'do not write a waveform')
    .option('--seed <n>', 'random seed', integer('--seed', 0, 2 ** 31 - 1), 1)
    .option('--vms <n>', 'number of VMs on the ISM network', integer('--vms', 1, 16), 2)
    .option('--maxstbl <n>', 'maximum PCISTB length of the ISM functions', integer('--maxstbl', 8, 8191))
    .option('--scope <scope...>', 'trace only these scopes (e.g. vm0.pfu)')
    .action(async (name: string, opts: { vcd: string | boolean; seed: number; vms: number; maxstbl?: number; scope?: string[] }) => {
      const bench = findBench(name);
      if (!bench) {
        console.error(`ism-sim: no testbench named "${name}"; try: ${TESTBENCHES.map((b) => b.name).join(', ')}`);
        process.exitCode = 2;
        return;
      }
      const vcdPath = opts.vcd === false ? undefined : typeof opts.vcd === 'string' ? opts.vcd : `waves/${bench.name}.vcd`;
      const summary = await bench.run({ vcdPath, seed: opts.seed, vms: opts.vms, maxstbl: opts.maxstbl, scopes: opts.scope });
      console.log(formatSummary(summary));
    });

  return program;
}
