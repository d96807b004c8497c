/**
 * What one soak run shares between its processes: the options, the counters the summary prints,
 * the invariant violations, the out-of-band switchboard (epoch-numbered DMB offers), and the
 * classification of every failure a caller sees.
 */
import type { Simulator } from '../../rtl/hdl/simulator.ts';
import { BlockError } from '../../models/ism/block-device.ts';
import { StackErrno, stackErrnoName } from '../../models/ism/channel.ts';
import { LinuxError } from '../../models/linux/errno.ts';
import { VfioError } from '../../models/vfio/vfio-device.ts';
import type { Fault, FaultKind } from './faults.ts';
import { ChannelDown, type SoakNode } from './soak-node.ts';

/** Deliberately broken stacks, to show the soak finds what it should. */
export const PLANTED_BUGS = ['ack-before-apply'] as const;
export type PlantedBug = (typeof PLANTED_BUGS)[number];

export interface SoakOptions {
  readonly seed: number;
  /** VM 0 runs the daemon; odd VMs are console clients, even VMs from 2 disk clients. */
  readonly vms: number;
  readonly faults: readonly FaultKind[];
  /** Stop after this many block + console operations ... */
  readonly ops?: number;
  /** ... or after this much wall time. */
  readonly seconds?: number;
  /** Replay exactly these faults instead of generating them from the seed. */
  readonly schedule?: readonly Fault[];
  /** Mean cycles between generated faults. */
  readonly faultInterval?: number;
  readonly plant?: PlantedBug;
  /** Stop at the first violation (shrinking, replays). */
  readonly stopAtViolation?: boolean;
  /** Write the waveform of cycles [from, to] to `path`. */
  readonly vcdWindow?: { readonly path: string; readonly from: number; readonly to: number };
  /** Called after every 1,000 operations. */
  readonly onProgress?: (ops: number, cycle: number) => void;
}

export interface Violation {
  readonly cycle: number;
  /** Operations completed when it was seen. */
  readonly ops: number;
  readonly invariant: string;
  readonly vm: number;
  readonly detail: string;
}

/** Errnos a failure may reach a caller with (models/ism/PROTOCOL.md §8). */
export const DOCUMENTED_ERRNOS: ReadonlySet<number> = new Set([
  StackErrno.EIO,
  StackErrno.ENODEV,
  StackErrno.ENXIO,
  StackErrno.EINVAL,
  StackErrno.ERANGE,
  StackErrno.EPROTO,
  StackErrno.ECONNRESET,
  StackErrno.ETIMEDOUT,
  StackErrno.ESHUTDOWN,
  StackErrno.EPIPE,
  StackErrno.ENOMEM,
  StackErrno.ENOSPC,
]);

export interface Offer {
  readonly epoch: number;
  readonly gid: bigint;
  readonly token: bigint;
  readonly length: number;
}

const MAX_VIOLATIONS_KEPT = 20;

export class SoakState {
  readonly operations: Record<string, number> = {};
  readonly faults: Record<string, number> = {};
  readonly errors: Record<string, number> = {};
  readonly unacked = { applied: 0, notApplied: 0, byFault: {} as Record<string, { applied: number; notApplied: number }> };
  readonly violations: Violation[] = [];
  violationCount = 0;
  totalOps = 0;
  reconnects = 0;
  /** Faults injected, in order (the replayable schedule). */
  readonly injected: Fault[] = [];
  /** Set when the budget is spent (or a violation stops a replay): no new operations. */
  finished = false;
  /** Operations done when the run was told to finish (what `--ops` replays up to). */
  stoppedAtOps = 0;
  readonly nodes: SoakNode[] = [];
  /** Client → daemon and daemon → client offers, by client index. */
  readonly clientOffers = new Map<number, Offer>();
  readonly serverOffers = new Map<number, Offer>();
  /** Clients that have finished (closed their channel for good). */
  readonly clientsDone = new Set<number>();
  readonly memory: { at: string; ops: number; rssMiB: number; heapMiB: number }[] = [];
  private readonly started = performance.now();

  constructor(
    readonly sim: Simulator,
    readonly options: SoakOptions,
  ) {}

  count(table: Record<string, number>, key: string, n = 1): void {
    table[key] = (table[key] ?? 0) + n;
  }

  /** One operation finished (successfully or with a documented error). */
  opDone(kind: string): void {
    this.count(this.operations, kind);
    this.totalOps++;
    const { ops, seconds } = this.options;
    if (ops !== undefined) {
      for (const [fraction, label] of [[0.1, '10%'], [0.5, '50%']] as const) {
        if (this.totalOps === Math.ceil(ops * fraction)) this.sampleMemory(label);
      }
      if (this.totalOps >= ops) this.finish();
    }
    if (this.totalOps % 1000 === 0) {
      this.options.onProgress?.(this.totalOps, this.sim.cycle);
      if (seconds !== undefined) {
        const elapsed = (performance.now() - this.started) / 1000;
        for (const [fraction, label] of [[0.1, '10%'], [0.5, '50%']] as const) {
          if (elapsed >= seconds * fraction && !this.memory.some((m) => m.at === label)) this.sampleMemory(label);
        }
        if (elapsed >= seconds) this.finish();
      }
    }
  }

  sampleMemory(at: string): void {
    const m = process.memoryUsage();
    this.memory.push({ at, ops: this.totalOps, rssMiB: Math.round(m.rss / 2 ** 20), heapMiB: Math.round(m.heapUsed / 2 ** 20) });
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.stoppedAtOps = this.totalOps;
    this.sampleMemory('100%');
  }

  violation(invariant: string, vm: number, detail: string): void {
    this.violationCount++;
    if (this.violations.length < MAX_VIOLATIONS_KEPT) this.violations.push({ cycle: this.sim.cycle, ops: this.totalOps, invariant, vm, detail });
    if (this.options.stopAtViolation) this.finish();
  }

  /**
   * A failure reached a caller: count it by errno. Anything that is not an error with a
   * documented errno is a violation (a crash of the stack or the simulator).
   */
  failed(vm: number, what: string, e: unknown): number {
    const errno = errnoOf(e);
    if (errno === null) {
      this.violation('failure reaches the caller as a documented errno', vm, `${what}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      return -1;
    }
    if (!DOCUMENTED_ERRNOS.has(errno)) this.violation('failure reaches the caller as a documented errno', vm, `${what}: undocumented errno ${errno} (${(e as Error).message})`);
    this.count(this.errors, stackErrnoName(errno));
    return errno;
  }

  /** Fault kinds injected since `sinceFault` (index into `injected`), for the unacked-write table. */
  faultsSince(sinceFault: number): string {
    const kinds = [...new Set(this.injected.slice(sinceFault).map((f) => f.kind))];
    return kinds.length > 0 ? kinds.join('+') : 'none';
  }
}

export function errnoOf(e: unknown): number | null {
  if (e instanceof BlockError || e instanceof LinuxError || e instanceof VfioError || e instanceof ChannelDown) return e.errno;
  return null;
}
