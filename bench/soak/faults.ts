/**
 * The soak's fault kinds and its seeded schedule. A schedule is a list of faults in cycle order;
 * the generator makes an endless one from a seed (each block of consecutive faults holds every
 * enabled kind once, in a shuffled order), and a recorded schedule can be written as text and
 * replayed exactly (`--schedule`).
 */
import { xorshift32 } from '../../models/host/prng.ts';

export const FAULT_KINDS = ['error', 'reset', 'busy', 'unreg', 'stop', 'msi', 'badreq'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** What each kind does (the `--faults` help and the README). */
export const FAULT_DESCRIPTIONS: Record<FaultKind, string> = {
  error: 'function put into the error state; recovered as Linux does (error handler, reset, re-probe)',
  reset: 'function-level reset (in-kernel side) or VFIO_DEVICE_RESET (daemon) mid-move or mid-command',
  busy: 'device BUSY storm on BAR 0 or BAR 2 for a random number of cycles',
  unreg: 'a peer unregisters one DMB, or its whole SBA and IEQ, while transfers are in flight',
  stop: 'a client VM stops and comes back (re-probe, re-register, reconnect)',
  msi: 'one MSI lost, or delayed by a random number of cycles',
  badreq: 'a bad request from a disk client: bad magic, oversized payload or out-of-range sectors',
};

const VARIANTS: Record<FaultKind, readonly string[]> = {
  error: ['state'],
  reset: ['move', 'command'],
  busy: ['bar0', 'bar2'],
  unreg: ['dmb', 'sba'],
  stop: ['vm'],
  msi: ['lost', 'delay'],
  badreq: ['magic', 'oversize', 'range'],
};

export interface Fault {
  /** Cycle at which it is injected. */
  readonly at: number;
  readonly kind: FaultKind;
  readonly variant: string;
  /** Target VM. */
  readonly vm: number;
  /** Kind-specific size: storm/stop/delay length or detection delay in cycles, or a connection pick. */
  readonly arg: number;
}

/** `120000:busy/bar2@vm1x4000` */
export function formatFault(f: Fault): string {
  return `${f.at}:${f.kind}/${f.variant}@vm${f.vm}x${f.arg}`;
}

export function formatSchedule(faults: readonly Fault[]): string {
  return faults.map(formatFault).join(',');
}

const FAULT_TEXT = /^(\d+):([a-z]+)\/([a-z0-9]+)@vm(\d+)x(\d+)$/;

/** Parse `--schedule`; a malformed entry is an error naming it. */
export function parseSchedule(text: string, vms: number): Fault[] {
  if (text.trim() === '') return [];
  const faults = text.split(',').map((part) => {
    const m = FAULT_TEXT.exec(part.trim());
    if (!m) throw new RangeError(`--schedule: "${part}" is not <cycle>:<kind>/<variant>@vm<n>x<arg>`);
    const kind = m[2] as FaultKind;
    if (!FAULT_KINDS.includes(kind)) throw new RangeError(`--schedule: unknown fault kind "${m[2]}" in "${part}"`);
    if (!VARIANTS[kind].includes(m[3])) throw new RangeError(`--schedule: ${kind} has no variant "${m[3]}" (${VARIANTS[kind].join(', ')})`);
    const vm = Number(m[4]);
    if (vm >= vms) throw new RangeError(`--schedule: "${part}" names vm${vm}, but there are ${vms} VMs`);
    return { at: Number(m[1]), kind, variant: m[3], vm, arg: Number(m[5]) };
  });
  return faults.sort((a, b) => a.at - b.at);
}

/** Which VMs a kind may target: stops hit clients, bad requests come from disk clients (even VMs from 2). */
function targets(kind: FaultKind, vms: number): number[] {
  const all = Array.from({ length: vms }, (_, i) => i);
  if (kind === 'stop') return all.slice(1);
  if (kind === 'badreq') return all.filter((i) => i >= 2 && i % 2 === 0);
  return all;
}

/** An endless seeded schedule: gaps uniform in [interval/2, 3·interval/2). */
export class FaultGenerator {
  private readonly next: () => number;
  private block: FaultKind[] = [];
  private at: number;

  constructor(
    seed: number,
    readonly kinds: readonly FaultKind[],
    readonly vms: number,
    readonly interval: number,
    /** No fault before this cycle (bring-up). */
    start: number,
  ) {
    this.next = xorshift32((seed ^ 0x5eed_fa17) >>> 0);
    this.at = start;
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.next() % items.length];
  }

  private between(lo: number, hi: number): number {
    return lo + (this.next() % (hi - lo));
  }

  /** The next fault, or null when no enabled kind has a target. */
  take(): Fault | null {
    const usable = this.kinds.filter((k) => targets(k, this.vms).length > 0);
    if (usable.length === 0) return null;
    if (this.block.length === 0) {
      this.block = [...usable];
      for (let i = this.block.length - 1; i > 0; i--) {
        const j = this.next() % (i + 1);
        [this.block[i], this.block[j]] = [this.block[j], this.block[i]];
      }
    }
    const kind = this.block.shift()!;
    this.at += this.between(Math.ceil(this.interval / 2), Math.ceil((3 * this.interval) / 2));
    const arg =
      kind === 'busy' ? this.between(200, 20_000)
      : kind === 'stop' ? this.between(5_000, 100_000)
      : kind === 'msi' ? this.between(500, 40_000)
      : kind === 'error' ? this.between(500, 10_000)
      : this.between(0, 1000);
    return { at: this.at, kind, variant: this.pick(VARIANTS[kind]), vm: this.pick(targets(kind, this.vms)), arg };
  }
}
