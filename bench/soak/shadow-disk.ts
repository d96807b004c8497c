/**
 * What a disk client knows its disk holds: every acknowledged write's bytes, and at most one
 * write whose outcome is unknown (it failed before its acknowledgement came back). That write
 * must have happened entirely or not at all; the client's next successful read of its range
 * decides which, and nothing else is written before it is decided.
 */
import { SECTOR_SIZE } from '../../models/ism/block-device.ts';

export interface UnsureWrite {
  readonly lba: number;
  readonly data: Uint8Array;
  /** The fault kinds injected since the write started (for the per-fault outcome table). */
  readonly faults: string;
}

export class ShadowDisk {
  readonly bytes: Uint8Array;
  unsure: UnsureWrite | null = null;

  constructor(readonly sectors: number) {
    this.bytes = new Uint8Array(sectors * SECTOR_SIZE);
  }

  acknowledged(lba: number, data: Uint8Array): void {
    this.bytes.set(data, lba * SECTOR_SIZE);
  }

  expected(lba: number, count: number): Uint8Array {
    return this.bytes.subarray(lba * SECTOR_SIZE, (lba + count) * SECTOR_SIZE);
  }

  /** First differing byte of `got` against the acknowledged content at `lba`, or -1. */
  mismatch(lba: number, got: Uint8Array): number {
    const want = this.expected(lba, got.length / SECTOR_SIZE);
    for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) return i;
    return -1;
  }

  /**
   * Decide the unsure write from the bytes now on the disk over its range: 'applied',
   * 'not-applied', or 'torn' (a mix: an invariant violation).
   */
  resolve(got: Uint8Array): 'applied' | 'not-applied' | 'torn' {
    const w = this.unsure!;
    const before = this.expected(w.lba, w.data.length / SECTOR_SIZE);
    const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
    const verdict = same(got, w.data) ? 'applied' : same(got, before) ? 'not-applied' : 'torn';
    if (verdict === 'applied') this.acknowledged(w.lba, w.data);
    this.unsure = null;
    return verdict;
  }
}
