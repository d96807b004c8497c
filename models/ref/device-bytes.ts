/** What a ScratchDevice's config space holds before anything is written: vendor and device ID. */
const CONFIG_ID_BYTES = [0x14, 0x10, 0xed, 0x04];
const CONFIG_SPACE = 15;
const PAGE = 4096;

/** A device byte nobody wrote: 0, except the config header's IDs. */
function initialByte(space: number, position: number): number {
  return space === CONFIG_SPACE && position < CONFIG_ID_BYTES.length ? CONFIG_ID_BYTES[position] : 0;
}

/**
 * The reference's copy of the device's bytes, by address space and position (below 2^49), in
 * sparse 4 KiB pages. A page is made on the first write into it, holding the initial bytes, so
 * writing a block costs one page lookup and no allocation per byte (a Map entry per byte boxed
 * each key, a number above 2^31).
 */
export class DeviceBytes {
  private readonly pages = new Map<number, Uint8Array>();

  get(space: number, position: number): number {
    const inPage = position % PAGE;
    const page = this.pages.get(pageKey(space, position - inPage));
    return page ? page[inPage] : initialByte(space, position);
  }

  set(space: number, position: number, value: number): void {
    const inPage = position % PAGE;
    const start = position - inPage;
    const key = pageKey(space, start);
    let page = this.pages.get(key);
    if (!page) {
      page = new Uint8Array(PAGE);
      for (let i = 0; i < PAGE; i++) page[i] = initialByte(space, start + i);
      this.pages.set(key, page);
    }
    page[inPage] = value;
  }

  /** The function was reset: every byte is back to its initial value. */
  clear(): void {
    this.pages.clear();
  }
}

/** One number per page: page starts are multiples of 4096 below 2^49, so space * 2^49 + start is exact. */
function pageKey(space: number, start: number): number {
  return space * 2 ** 49 + start;
}
