import { ISM_DEFAULT_BAR2_SIZE } from './config-space.ts';

/** Device choices the sources leave open (documented in rtl/ism/README.md). */
export interface IsmAdapterConfig {
  /** BAR 2 (command window) size in bytes. */
  readonly bar2Size: number;
  /** Largest DMB (spec §5.3: 1 MiB). */
  readonly maxDmbLength: number;
  /** DMBs one function may own (SBA indices 32..1919 → 1888). */
  readonly maxDmbs: number;
  /** VLAN ids one function may add (QUERY_INFO reports at most 64). */
  readonly maxVlans: number;
  /** Bit for DMBE index idx in dmbe_mask: 'msb0' → 0x8000 >> idx, 'lsb0' → 1 << idx. */
  readonly dmbeMaskOrder: 'msb0' | 'lsb0';
  /** false: MSI only when `s` or `e` goes 0→1 (signals merge until the handler clears it). */
  readonly msiEverySignal: boolean;
  /** true: the msi pulse also needs the MSI enable bit in config space. */
  readonly requireMsiEnable: boolean;
  /** ADD_VLAN_ID 0x1FFF succeeds (the SMC-Dv2 probe). */
  readonly supportsV2: boolean;
  /** UNREG_DMB posts a BUF/DMB_UNREGISTERED event to the DMB's writer. */
  readonly notifyWriterOnUnregister: boolean;
  /** QUERY_INFO `version`. */
  readonly queryInfoVersion: number;
  /**
   * While the function is in ERROR, BLOCKED or PERMANENT_ERROR, moves into its DMBs are refused
   * (MOVE_TARGET_NOT_READY) and signals and events to it are dropped, as zPCI blocks a function's
   * DMA in those states. Off by default: data keeps landing and the peers learn of the state from
   * the BUF/DEV events only.
   */
  readonly blockDmaInErrorState: boolean;
}

export const DEFAULT_ISM_CONFIG: IsmAdapterConfig = {
  bar2Size: ISM_DEFAULT_BAR2_SIZE,
  maxDmbLength: 1 << 20,
  maxDmbs: 1888,
  maxVlans: 64,
  dmbeMaskOrder: 'msb0',
  msiEverySignal: false,
  requireMsiEnable: false,
  supportsV2: true,
  notifyWriterOnUnregister: true,
  queryInfoVersion: 1,
  blockDmaInErrorState: false,
};
