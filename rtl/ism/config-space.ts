/**
 * The ISM function's PCI configuration header (256 bytes, type 0, little-endian as PCI defines
 * it) and the zPCI function attributes firmware gets from CLP. IDs from spec §1
 * (include/linux/pci_ids.h PCI_DEVICE_ID_IBM_ISM); one plain MSI vector, no MSI-X
 * (ism_drv.c `ism_dev_init` allocates exactly one vector).
 */

export const ISM_VENDOR_ID = 0x1014;
export const ISM_DEVICE_ID = 0x04ed;
/** zPCI PCI function type of ISM (QEMU ZPCI_PFT_ISM). */
export const ISM_PFT = 5;
export const ISM_BAR0_SIZE = 1n << 48n;
export const ISM_DEFAULT_BAR2_SIZE = 4096;

/** What firmware learns about the function from CLP (list/query PCI function). */
export interface IsmFunctionAttributes {
  readonly fid: number;
  /** Function handle (enabled form: bit 31 set). */
  readonly fh: number;
  readonly pft: number;
  readonly maxstbl: number;
  /** Fabric id: the zPCI pchid (0xFF00–0xFFFF are reserved for emulated ISM). */
  readonly pchid: number;
  readonly vendorId: number;
  readonly deviceId: number;
  readonly barSizes: readonly bigint[];
  readonly relaxedAlignment: boolean;
  readonly mioCapable: boolean;
  readonly msiVectors: number;
}

export function ismFunctionAttributes(p: { fid: number; fh?: number; pchid?: number; bar2Size?: number; maxstbl?: number }): IsmFunctionAttributes {
  const bar2 = BigInt(p.bar2Size ?? ISM_DEFAULT_BAR2_SIZE);
  return {
    fid: p.fid,
    fh: p.fh ?? ((0x8000_0000 | (p.fid & 0xffff)) >>> 0),
    pft: ISM_PFT,
    maxstbl: p.maxstbl ?? 4096,
    pchid: p.pchid ?? 0x0100,
    vendorId: ISM_VENDOR_ID,
    deviceId: ISM_DEVICE_ID,
    barSizes: [ISM_BAR0_SIZE, 0n, bar2, 0n, 0n, 0n],
    relaxedAlignment: true,
    mioCapable: false,
    msiVectors: 1,
  };
}

/** Offsets in the header. */
export const Cfg = {
  VENDOR: 0x00,
  DEVICE: 0x02,
  COMMAND: 0x04,
  STATUS: 0x06,
  REVISION: 0x08,
  CLASS: 0x09,
  HEADER_TYPE: 0x0e,
  BAR0: 0x10,
  BAR2: 0x18,
  SUBSYS_VENDOR: 0x2c,
  SUBSYS_ID: 0x2e,
  CAP_PTR: 0x34,
  INT_PIN: 0x3d,
  MSI_CAP: 0x40,
  /** Command register bits the model keeps: memory space, bus master, INTx disable. */
  COMMAND_WRITABLE: 0x0002 | 0x0004 | 0x0400,
} as const;

/**
 * Config space contents with PCI write semantics: read-only IDs, writable command register,
 * BAR sizing (write all ones → size mask), MSI capability at 0x40 (64-bit address, 1 vector).
 */
export class IsmConfigSpace {
  private readonly bytes = new Uint8Array(256);
  private readonly bars: bigint[] = [0n, 0n, 0n];

  constructor(readonly attributes: IsmFunctionAttributes) {
    this.reset();
  }

  reset(): void {
    const b = this.bytes;
    b.fill(0);
    this.put(Cfg.VENDOR, this.attributes.vendorId, 2);
    this.put(Cfg.DEVICE, this.attributes.deviceId, 2);
    this.put(Cfg.STATUS, 0x0010, 2); // capability list present
    b[Cfg.REVISION] = 0x00;
    b[Cfg.CLASS] = 0x00; // prog-if
    b[Cfg.CLASS + 1] = 0x80; // subclass: other network controller
    b[Cfg.CLASS + 2] = 0x02; // class: network
    b[Cfg.HEADER_TYPE] = 0x00;
    this.put(Cfg.SUBSYS_VENDOR, this.attributes.vendorId, 2);
    this.put(Cfg.SUBSYS_ID, this.attributes.deviceId, 2);
    b[Cfg.CAP_PTR] = Cfg.MSI_CAP;
    b[Cfg.MSI_CAP] = 0x05; // MSI capability id
    b[Cfg.MSI_CAP + 1] = 0x00; // end of list
    this.put(Cfg.MSI_CAP + 2, 0x0080, 2); // 64-bit capable, MMC = 0 (1 vector), disabled
    this.bars.fill(0n);
    this.refreshBars();
  }

  private put(offset: number, value: number, size: number): void {
    for (let i = 0; i < size; i++) this.bytes[offset + i] = (value >>> (8 * i)) & 0xff;
  }
  private get(offset: number, size: number): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.bytes[offset + i];
    return v;
  }

  private refreshBars(): void {
    for (const [i, barIndex] of [[0, 0], [1, 2]] as const) {
      const size = this.attributes.barSizes[barIndex];
      const value = (this.bars[i] & ~(size - 1n) & 0xffff_ffff_ffff_fff0n) | 0x4n; // 64-bit memory BAR
      const at = Cfg.BAR0 + 8 * i;
      this.put(at, Number(value & 0xffff_ffffn), 4);
      this.put(at + 4, Number(value >> 32n), 4);
    }
  }

  read(offset: number, length: number): Uint8Array {
    return this.bytes.slice(offset, offset + length);
  }

  /** Bytes in address order; read-only fields ignore writes. */
  write(offset: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) this.writeByte(offset + i, data[i]);
    this.refreshBars();
  }

  private writeByte(at: number, v: number): void {
    if (at === Cfg.COMMAND || at === Cfg.COMMAND + 1) {
      const mask = (Cfg.COMMAND_WRITABLE >>> (8 * (at - Cfg.COMMAND))) & 0xff;
      this.bytes[at] = v & mask;
    } else if (at >= Cfg.BAR0 && at < Cfg.BAR0 + 16) {
      const i = (at - Cfg.BAR0) >> 3;
      const shift = BigInt(8 * ((at - Cfg.BAR0) & 7));
      this.bars[i] = (this.bars[i] & ~(0xffn << shift)) | (BigInt(v) << shift);
    } else if (at === Cfg.MSI_CAP + 2) {
      this.bytes[at] = (this.bytes[at] & 0xfe) | (v & 0x01); // MSI enable; MME stays 0 (1 vector)
    } else if (at >= Cfg.MSI_CAP + 4 && at < Cfg.MSI_CAP + 14) {
      this.bytes[at] = v; // message address (64-bit) and data
    }
  }

  get command(): number {
    return this.get(Cfg.COMMAND, 2);
  }
  get msiEnabled(): boolean {
    return (this.bytes[Cfg.MSI_CAP + 2] & 1) === 1;
  }
  get msiAddress(): bigint {
    return BigInt(this.get(Cfg.MSI_CAP + 4, 4)) | (BigInt(this.get(Cfg.MSI_CAP + 8, 4)) << 32n);
  }
  get msiData(): number {
    return this.get(Cfg.MSI_CAP + 12, 2);
  }
}
