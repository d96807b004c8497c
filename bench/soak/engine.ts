/**
 * One soak run: the `daemon` workload on an ISM machine, faults injected from a seeded (or given)
 * schedule, invariants checked all the time, then an orderly end and the end-of-run checks
 * (disks against the clients' shadows, every page freed). Deterministic: the same options give
 * the same run, whatever the wall clock does (except when `seconds` decides where it stops).
 */
import { config as rxConfig } from 'rxjs';
import { FileSink, Simulator, VcdWriter } from '../../rtl/hdl/index.ts';
import { IsmMachine } from '../../models/host/machine.ts';
import { StackErrno } from '../../models/ism/channel.ts';
import type { IsmAdapter } from '../../rtl/ism/adapter.ts';
import { FaultGenerator, formatSchedule, type Fault } from './faults.ts';
import { inject } from './injector.ts';
import { SoakNode } from './soak-node.ts';
import { SoakState, errnoOf, type SoakOptions, type Violation } from './state.ts';
import { WindowTracer } from './window-tracer.ts';
import { CHANNEL_TIMEOUT, ClientState, ServedClient, clientKind, runClient, runServer } from './workload.ts';
import { SECTOR_SIZE } from '../../models/ism/block-device.ts';

/** No fault before the whole system has probed and connected once. */
const BRING_UP_CYCLES = 100_000;
const DEFAULT_FAULT_INTERVAL = 60_000;
/** An operation running longer than this is a hang (several bounded channel waits fit in it). */
const OPERATION_BOUND = 4 * CHANNEL_TIMEOUT;
/** After the budget is spent, everything must have torn down within this many cycles. */
const DRAIN_BOUND = 20_000_000;
const HOUSEKEEPING = 2_000;

export interface SoakReport {
  readonly seed: number;
  readonly vms: number;
  readonly faultKinds: readonly string[];
  readonly plant?: string;
  readonly operations: Record<string, number>;
  readonly totalOps: number;
  /** Operations done when the budget ran out (a replay's `--ops`). */
  readonly stoppedAtOps: number;
  readonly faults: Record<string, number>;
  readonly errors: Record<string, number>;
  readonly recoveries: Record<string, number>;
  readonly unacked: SoakState['unacked'];
  readonly violations: readonly Violation[];
  readonly violationCount: number;
  /** The faults injected, as `--schedule` text. */
  readonly schedule: string;
  readonly cycles: number;
  readonly wallMs: number;
  readonly memory: SoakState['memory'];
  readonly peakRssMiB: number;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  if (options.vms < 3 || options.vms > 8) throw new RangeError(`--vms ${options.vms}: the daemon workload runs with 3 to 8 VMs`);
  if (options.ops === undefined && options.seconds === undefined) throw new RangeError('give --ops or --seconds');
  const started = performance.now();
  const sim = new Simulator();
  const machine = new IsmMachine(sim, { vms: options.vms, memorySize: 16 << 20 });
  if (options.vcdWindow) {
    const w = options.vcdWindow;
    const writer = new VcdWriter(new FileSink(w.path), {
      scopes: machine.vms.flatMap((_, i) => [`vm${i}.cpu_port`, `vm${i}.pfu`, `vm${i}.ism`]).concat('net'),
      comment: `ism-sim soak seed ${options.seed}: cycles ${w.from}..${w.to} (time 0 = cycle ${w.from})`,
    });
    sim.addTracer(new WindowTracer(writer, w.from, w.to));
  }
  const state = new SoakState(sim, options);
  const basePages = machine.vms.map((vm) => vm.pages.allocatedPages);
  const crashed = (what: string, e: unknown): void => {
    if (errnoOf(e) === null) state.failed(-1, what, e);
  };
  machine.vms.forEach((vm, i) => state.nodes.push(new SoakNode(sim, i, vm, i === 0 ? 'vfio' : 'kernel', crashed)));
  watchDma(state, machine);

  const clients = new Map<number, ClientState>();
  const served: ServedClient[] = [];
  for (let vm = 1; vm < options.vms; vm++) {
    clients.set(vm, new ClientState(vm, clientKind(vm), options.seed));
    served.push(new ServedClient(vm, clientKind(vm)));
  }
  const daemon = state.nodes[0];
  const serverGid = (): bigint | undefined => (daemon.up && daemon.driver ? daemon.driver.gid : undefined);

  for (const node of state.nodes) sim.process(`${node.name}_supervisor`, () => supervise(state, node));
  for (const s of served) sim.process(`vm0_serve_vm${s.vm}`, () => runServer(state, daemon, s));
  for (const [vm, c] of clients) sim.process(`vm${vm}_${c.kind}`, () => runClient(state, state.nodes[vm], c, serverGid));
  sim.process('fault_injector', () => injectFaults(state, clients));
  sim.process('watchdog', () => watchdog(state, clients));

  // A handler that throws inside an rxjs subscriber (an interrupt handler) is reported by rxjs
  // later, outside the run: count it as the crash it is instead of letting it kill the process.
  const previousHandler = rxConfig.onUnhandledError;
  rxConfig.onUnhandledError = (e: unknown) => state.violation('no hang and no simulator crash', -1, `thrown in an observer: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  try {
    await sim.run({ maxCycles: Number.MAX_SAFE_INTEGER });
  } catch (e) {
    state.violation('no hang and no simulator crash', -1, e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  } finally {
    sim.dispose();
    await new Promise((resolve) => setTimeout(resolve, 0));
    rxConfig.onUnhandledError = previousHandler;
  }
  state.finish();
  endChecks(state, machine, basePages, served, clients);
  const recoveries: Record<string, number> = { reconnect: state.reconnects };
  for (const n of state.nodes) for (const [k, v] of Object.entries(n.recoveries)) recoveries[k] = (recoveries[k] ?? 0) + v;
  return {
    seed: options.seed,
    vms: options.vms,
    faultKinds: options.schedule ? [...new Set(options.schedule.map((f) => f.kind))] : options.faults,
    plant: options.plant,
    operations: state.operations,
    totalOps: state.totalOps,
    stoppedAtOps: state.stoppedAtOps,
    faults: state.faults,
    errors: state.errors,
    recoveries,
    unacked: state.unacked,
    violations: state.violations,
    violationCount: state.violationCount,
    schedule: formatSchedule(state.injected),
    cycles: sim.cycle,
    wallMs: performance.now() - started,
    memory: state.memory,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

/** Bring the node up, and back after every fault that needs it; tear it down at the end. */
async function supervise(state: SoakState, node: SoakNode): Promise<void> {
  const sim = state.sim;
  const allClientsDone = (): boolean => state.clientsDone.size === state.nodes.length - 1;
  const ending = (): boolean => (node.index === 0 ? allClientsDone() : state.clientsDone.has(node.index));
  for (;;) {
    if (ending() && node.users === 0) break;
    if (node.stoppedUntil >= 0) {
      if (sim.cycle < node.stoppedUntil && !state.finished) {
        await sim.tick(Math.min(HOUSEKEEPING, node.stoppedUntil - sim.cycle));
        continue;
      }
      node.restart();
    } else if (node.recoveryRequested) {
      const reason = node.recoveryRequested;
      if (!(await node.recover(reason, OPERATION_BOUND))) state.violation('no hang and no simulator crash', node.index, `recovery (${reason}): processes still inside the driver after ${OPERATION_BOUND} cycles`);
    }
    if (!node.up && !state.finished) {
      try {
        await node.start();
      } catch (e) {
        // A probe that fails (e.g. the function went into the error state while the node was
        // down) is followed by the full recovery: reset, then probe again.
        state.failed(node.index, 'probe', e);
        node.requestRecovery('failure');
        await sim.tick(HOUSEKEEPING);
        continue;
      }
    }
    if (node.index === 0) abortStaleSessions(state, node);
    await sim.until(() => node.recoveryRequested !== null || node.stoppedUntil >= 0 || (ending() && node.users === 0), { timeout: HOUSEKEEPING, what: `${node.name} supervisor` }).catch(() => undefined);
  }
  await node.teardown();
}

/** A session the client has given up on (it offered a newer epoch) is over for the daemon too. */
function abortStaleSessions(state: SoakState, node: SoakNode): void {
  for (const c of node.connections) {
    if ((state.clientOffers.get(c.peer)?.epoch ?? 0) > c.epoch) c.channel?.abort(StackErrno.ECONNRESET);
  }
}

async function injectFaults(state: SoakState, clients: ReadonlyMap<number, ClientState>): Promise<void> {
  const sim = state.sim;
  const { options } = state;
  const given = options.schedule ? [...options.schedule] : null;
  const generator = new FaultGenerator(options.seed, options.faults, options.vms, options.faultInterval ?? DEFAULT_FAULT_INTERVAL, BRING_UP_CYCLES);
  for (;;) {
    const f: Fault | null = given ? (given.shift() ?? null) : generator.take();
    if (!f) return;
    while (sim.cycle < f.at && !state.finished) await sim.tick(Math.min(HOUSEKEEPING, f.at - sim.cycle));
    if (state.finished) return;
    inject(state, f, clients);
  }
}

/** Every operation ends within OPERATION_BOUND cycles; the whole run ends within DRAIN_BOUND of its budget. */
async function watchdog(state: SoakState, clients: ReadonlyMap<number, ClientState>): Promise<void> {
  const sim = state.sim;
  let finishedAt = -1;
  for (;;) {
    await sim.tick(HOUSEKEEPING * 10);
    for (const c of clients.values()) {
      if (c.opStartedAt >= 0 && sim.cycle - c.opStartedAt > OPERATION_BOUND) {
        state.violation('no hang and no simulator crash', c.vm, `${c.opWhat} still running after ${sim.cycle - c.opStartedAt} cycles`);
        c.opStartedAt = -1;
      }
    }
    if (state.finished && finishedAt < 0) finishedAt = sim.cycle;
    if (state.clientsDone.size === clients.size && state.nodes.every((n) => !n.up && n.driver === null)) return;
    if (finishedAt >= 0 && sim.cycle - finishedAt > DRAIN_BOUND) {
      throw new Error(`teardown did not finish within ${DRAIN_BOUND} cycles of the end of the budget`);
    }
  }
}

/** Device writes into VM memory go through the network's DMA port: each must land in memory the VM's driver owns. */
function watchDma(state: SoakState, machine: IsmMachine): void {
  const net = machine.system.net;
  const dma = net.dma.bind(net);
  net.dma = (target: IsmAdapter, address: number, bytes: Uint8Array): void => {
    const node = state.nodes[target.index];
    const end = address + bytes.length;
    let inside = false;
    for (const [iova, length] of node.owned) if (address >= iova && end <= iova + length) inside = true;
    if (!inside) state.violation('no VM memory outside a registered DMB/SBA/IEQ is written', target.index, `device wrote [0x${address.toString(16)}, +${bytes.length}) outside the driver's DMA memory`);
    dma(target, address, bytes);
  };
}

function endChecks(state: SoakState, machine: IsmMachine, basePages: number[], served: ServedClient[], clients: ReadonlyMap<number, ClientState>): void {
  for (const s of served) {
    if (s.kind !== 'disk') continue;
    const shadow = clients.get(s.vm)!.shadow;
    const disk = s.image.bytes;
    const w = shadow.unsure;
    if (w) {
      const verdict = shadow.resolve(disk.slice(w.lba * SECTOR_SIZE, w.lba * SECTOR_SIZE + w.data.length));
      if (verdict === 'torn') state.violation('an unacknowledged write happened entirely or not at all', s.vm, `write lba ${w.lba} is torn on the disk at the end`);
    }
    const bad = disk.findIndex((b, i) => b !== shadow.bytes[i]);
    if (bad >= 0) state.violation('every acknowledged write reads back with the same bytes', s.vm, `at the end, disk byte ${bad} (lba ${Math.floor(bad / SECTOR_SIZE)}) is 0x${disk[bad].toString(16)}, acknowledged 0x${shadow.bytes[bad].toString(16)}`);
  }
  machine.vms.forEach((vm, i) => {
    const leaked = vm.pages.allocatedPages - basePages[i];
    if (leaked !== 0) state.violation('every VM tears down cleanly, every page freed', i, `${leaked} pages still allocated after teardown`);
    if (state.nodes[i].up || state.nodes[i].driver) state.violation('every VM tears down cleanly, every page freed', i, 'driver still up after the run');
  });
}
