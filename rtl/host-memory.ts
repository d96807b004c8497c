/**
 * What the hardware needs of a VM's storage: the store-block engine fetches PCISTB source
 * blocks from it and the ISM adapter DMAs into it. The implementation lives in models/host
 * (a behavioural model), so the RTL depends only on this interface.
 */
export interface HostMemory {
  /** Bytes of addressable storage; addresses are 0..size-1. */
  readonly size: number;
  /** Whether [address, address+length) lies inside storage. */
  contains(address: number, length: number): boolean;
  /** A copy of the bytes; throws HostMemoryError outside storage. */
  read(address: number, length: number): Uint8Array;
  /** The bytes copied into `dst` at `dstOffset` (no allocation: the fetch path uses it every cycle). */
  readInto(address: number, dst: Uint8Array, dstOffset: number, length: number): void;
  /** Stores the bytes; throws HostMemoryError outside storage (and writes nothing). */
  write(address: number, bytes: Uint8Array): void;
}

export class HostMemoryError extends RangeError {
  constructor(readonly address: number, readonly length: number, readonly size: number) {
    super(`storage access [0x${address.toString(16)}, +${length}) outside guest memory of ${size} bytes`);
    this.name = 'HostMemoryError';
  }
}
