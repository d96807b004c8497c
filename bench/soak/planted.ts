/**
 * A deliberately broken disk for `--plant ack-before-apply`: the daemon acknowledges a WRITE
 * before it is on the disk (it sits in a per-connection write-back cache and is applied when the
 * next request arrives), so a connection that breaks right after a write loses an acknowledged
 * write. The soak must find it, shrink it and replay it.
 */
import type { BlockImage } from '../../models/ism/block-device.ts';

export class DeferredImage implements BlockImage {
  private pending: { lba: bigint; data: Uint8Array } | null = null;

  constructor(readonly image: BlockImage) {}

  get sectors(): bigint {
    return this.image.sectors;
  }

  private apply(): void {
    if (this.pending) this.image.write(this.pending.lba, this.pending.data);
    this.pending = null;
  }

  read(lba: bigint, count: number): Uint8Array {
    this.apply();
    return this.image.read(lba, count);
  }

  write(lba: bigint, data: Uint8Array): void {
    this.apply();
    this.pending = { lba, data: data.slice() };
  }

  flush(): void {
    this.apply();
    this.image.flush();
  }
}
