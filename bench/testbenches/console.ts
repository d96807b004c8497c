import { IsmMachine } from '../../models/host/machine.ts';
import { consoleSession } from '../../models/ism/session.ts';
import { runBench, traceIfAsked, type Testbench } from '../harness.ts';

const LINES = ['hostname', 'echo hello from vm1 over ISM', 'rev stressed', 'uptime', 'frobnicate', 'exit'];

/**
 * Remote console: VM 0's user-space daemon (IsmDriver over vfio) serves a console; VM 1 (in-kernel
 * ISM driver) types a few lines. Every byte crosses the ISM hardware as PCISTB moves on the
 * waveform; the summary prints the transcript and the round-trip latency per line.
 */
export const consoleBench: Testbench = {
  name: 'console',
  description: 'remote console over an ISM channel: VM 1 types lines, VM 0 daemon (vfio) echoes and answers',
  vms: { min: 2, max: 2, default: 2 },
  // The daemon's vfio-ism pwrite refuses a command block longer than maxstbl (REG_DMB is 32 bytes).
  maxstbl: { min: 32, max: 8191, default: 4096 },
  // Up to 10 ms (10^7 cycles at 1 GHz): the server's channel wait gives up after 5 * 10^7 cycles.
  pause: { min: 0, max: 10_000_000, default: 0 },
  run: (options) =>
    runBench('console', options, async (ctx) => {
      const { sim, note } = ctx;
      const m = new IsmMachine(sim, { vms: 2, maxstbl: options.maxstbl });
      traceIfAsked(sim, options, 'console: VM 1 types into the console served by the VM 0 daemon over ISM');
      const r = consoleSession(sim, m, LINES, options.pause ?? 0);
      await sim.run({ maxCycles: 50_000_000 + LINES.length * (options.pause ?? 0) });
      ctx.count(m.vms[0].cpu.stats);
      ctx.count(m.vms[1].cpu.stats);
      if (r.exchanges.length !== LINES.length) throw new Error(`console: ${r.exchanges.length} of ${LINES.length} lines answered`);
      if (r.received.join('\n') !== LINES.join('\n')) throw new Error(`console: server saw ${JSON.stringify(r.received)}`);
      for (const x of r.exchanges) if (!x.reply.startsWith(`${x.line}\n`)) throw new Error(`console: no echo for ${x.line}`);
      note('transcript (VM 1 terminal):');
      for (const l of (r.banner + r.exchanges.map((x) => x.reply).join('')).split('\n')) note(`  | ${l}`);
      const rtts = r.exchanges.map((x) => x.roundTripCycles);
      const echoes = r.exchanges.map((x) => x.echoCycles);
      note(`round trip (line sent -> echo, output and prompt back), cycles: ${rtts.join(', ')}; mean ${Math.round(rtts.reduce((a, b) => a + b, 0) / rtts.length)}`);
      note(`echo latency (line sent -> echo back), cycles: min ${Math.min(...echoes)}, max ${Math.max(...echoes)}`);
    }),
};
