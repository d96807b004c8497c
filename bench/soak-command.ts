/**
 * `ism-sim soak`: the fault-injection soak of the whole stack (bench/soak/). Prints the summary
 * table; on a violation also the seed, the fault schedule, a shrunk replay command and the
 * waveform of the failing window; `--json` writes the same as JSON. Exit status 1 on a violation.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { runSoak } from './soak/engine.ts';
import { FAULT_DESCRIPTIONS, FAULT_KINDS, formatSchedule, parseSchedule, type FaultKind } from './soak/faults.ts';
import { formatSoakReport, replayCommand } from './soak/report.ts';
import { integer } from './integer-option.ts';
import { humanLines, TO_STDOUT, writeJson } from './json-output.ts';
import { prepareOutput } from './output-path.ts';
import { shrinkFailure } from './soak/shrink.ts';
import { PLANTED_BUGS, type PlantedBug, type SoakOptions } from './soak/state.ts';

/** Cycles of waveform kept before the violation (and after it). */
const WINDOW_BEFORE = 4000;
const WINDOW_AFTER = 200;

function faultList(text: string): FaultKind[] {
  if (text === 'all') return [...FAULT_KINDS];
  if (text === 'none') return [];
  return text.split(',').map((k) => {
    if (!(FAULT_KINDS as readonly string[]).includes(k)) throw new InvalidArgumentError(`unknown fault kind "${k}": use all, none or a list of ${FAULT_KINDS.join(', ')}`);
    return k as FaultKind;
  });
}

interface SoakCliOptions {
  ops?: number;
  seconds?: number;
  seed: number;
  vms: number;
  faults: FaultKind[];
  schedule?: string;
  faultInterval: number;
  plant?: PlantedBug;
  json?: string;
  shrink: boolean;
  wave?: string;
}

export function soakCommand(): Command {
  return new Command('soak')
    .description('fault-injection soak of the whole stack over the daemon workload, invariants checked all the time')
    .addOption(new Option('--ops <n>', 'stop after this many block and console operations').argParser(integer('--ops', 1, 1e9)).conflicts('seconds'))
    .addOption(new Option('--seconds <n>', 'stop after this much wall time (default 10)').argParser(integer('--seconds', 1, 86_400)))
    .option('--seed <n>', 'seed of the fault schedule and of every client\'s choices', integer('--seed', 0, 2 ** 31 - 1), 1)
    .option('--vms <n>', 'VMs: the daemon in VM0, consoles on odd VMs, disks on even VMs (3-8)', integer('--vms', 3, 8), 3)
    .option('--faults <list>', `fault kinds, comma-separated, or all / none: ${FAULT_KINDS.map((k) => `${k} (${FAULT_DESCRIPTIONS[k]})`).join('; ')}`, faultList, [...FAULT_KINDS])
    .option('--schedule <list>', 'replay exactly these faults (a failing soak prints them) instead of a seeded schedule')
    .option('--fault-interval <cycles>', 'mean cycles between faults', integer('--fault-interval', 1000, 1e9), 60_000)
    .addOption(new Option('--plant <bug>', 'run a deliberately broken stack, to watch the soak catch it').choices([...PLANTED_BUGS]))
    .option('--json <file>', 'also write the report as JSON; - prints the JSON on stdout and the summary on stderr')
    .option('--no-shrink', 'on a violation, do not shrink the failing schedule')
    .option('--wave <vcd>', 'where the failing window\'s waveform goes (default waves/soak-violation-<seed>.vcd)')
    .action(async (opts: SoakCliOptions) => {
      // A result file that cannot be written is refused before a long soak runs.
      const jsonPath = opts.json === undefined || opts.json === TO_STDOUT ? opts.json : prepareOutput(opts.json, '--json');
      const say = humanLines(opts.json);
      const schedule = opts.schedule !== undefined ? parseSchedule(opts.schedule, opts.vms) : undefined;
      const options: SoakOptions = {
        seed: opts.seed,
        vms: opts.vms,
        faults: opts.faults,
        ops: opts.ops,
        seconds: opts.ops === undefined ? (opts.seconds ?? 10) : undefined,
        schedule,
        faultInterval: opts.faultInterval,
        plant: opts.plant,
        stopAtViolation: schedule !== undefined,
        onProgress: process.stderr.isTTY ? (ops, cycle) => process.stderr.write(`\rsoak: ${ops.toLocaleString('en-US')} operations, ${cycle.toLocaleString('en-US')} cycles`) : undefined,
      };
      const report = await runSoak(options);
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
      say(formatSoakReport(report));
      const json: Record<string, unknown> = { ...report };
      if (report.violationCount > 0) {
        process.exitCode = 1;
        say(`seed         ${report.seed}`);
        say(`schedule     ${report.schedule || '(no faults)'}`);
        let replay: SoakOptions = schedule
          ? { ...options, onProgress: undefined }
          : { ...options, schedule: parseSchedule(report.schedule, opts.vms), ops: options.ops ?? report.stoppedAtOps, seconds: undefined, stopAtViolation: true, onProgress: undefined };
        let first = report.violations[0];
        if (!schedule && opts.shrink) {
          const shrunk = await shrinkFailure(options, report);
          if (shrunk) {
            replay = shrunk.options;
            first = shrunk.violation;
            say(`shrunk       to ${shrunk.options.schedule!.length} fault(s), ${shrunk.options.ops!.toLocaleString('en-US')} operations (${shrunk.trials} replays): ${first.invariant}: ${first.detail}`);
          } else say('shrunk       (the failure did not reproduce from its schedule: not shrunk)');
        }
        const command = replayCommand(replay);
        say(`replay       ${command}`);
        const wave = opts.wave ?? `waves/soak-violation-${opts.seed}.vcd`;
        const from = Math.max(0, first.cycle - WINDOW_BEFORE);
        await runSoak({ ...replay, vcdWindow: { path: wave, from, to: first.cycle + WINDOW_AFTER } });
        say(`waveform     ${wave} (cycles ${from.toLocaleString('en-US')}..${(first.cycle + WINDOW_AFTER).toLocaleString('en-US')}; time 0 = cycle ${from})`);
        Object.assign(json, { replay: command, replaySchedule: formatSchedule(replay.schedule ?? []), waveform: wave, windowFrom: from });
      }
      if (jsonPath) writeJson(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
    });
}
