/**
 * ISM command protocol: command codes, request/response byte layouts (big-endian, s390 order),
 * return codes and the device status codes this model gives on cc 1.
 *
 * Layouts follow the command structs of the Linux driver (torvalds/linux drivers/s390/net/ism.h,
 * `ism_req_hdr`/`ism_resp_hdr` and one struct per command); see /work/shared/spec/ism.md §2–§3.
 * Return codes other than 0 and 0xFFFF are this model's own (the real ones are not public).
 */
import { bigEndianToBytes, bytesToBigEndian } from '../bytes.ts';

/** Command codes (ism.h: ISM_REG_SBA … ISM_UNREG_IEQ). */
export const IsmCmd = {
  REG_SBA: 0x01,
  REG_IEQ: 0x02,
  READ_GID: 0x03,
  ADD_VLAN_ID: 0x04,
  DEL_VLAN_ID: 0x05,
  SET_VLAN: 0x06,
  RESET_VLAN: 0x07,
  QUERY_INFO: 0x08,
  QUERY_RGID: 0x09,
  REG_DMB: 0x0a,
  UNREG_DMB: 0x0b,
  SIGNAL_IEQ: 0x0e,
  UNREG_SBA: 0x11,
  UNREG_IEQ: 0x12,
} as const;
export type IsmCmdName = keyof typeof IsmCmd;

/**
 * `ret` values in the response header. 0 and 0xFFFF (`ISM_ERROR`) are Linux's; the rest are the
 * model's own, one per reason, so tests and waveforms can tell failures apart.
 * 0xFFFF answers UNREG_SBA/UNREG_IEQ when nothing is registered: Linux's UNREG_* callers treat
 * 0xFFFF as success and free their memory anyway (ism_drv.c `ism_unregister_dmb`, smc_ism.c).
 * UNREG_DMB of a token the device does not know answers UNKNOWN_TOKEN (it names the reason).
 */
export const IsmRc = {
  OK: 0x0000,
  UNKNOWN_COMMAND: 0x0001,
  BAD_LENGTH: 0x0002,
  ALREADY_REGISTERED: 0x0003,
  BAD_ADDRESS: 0x0004,
  BAD_IEQ_LENGTH: 0x0005,
  BAD_DMB_LENGTH: 0x0006,
  BAD_SBA_INDEX: 0x0007,
  SBA_INDEX_IN_USE: 0x0008,
  TOO_MANY_DMBS: 0x0009,
  UNKNOWN_TOKEN: 0x000a,
  BAD_VLAN_ID: 0x000b,
  VLAN_NOT_FOUND: 0x000c,
  VLAN_TABLE_FULL: 0x000d,
  GID_UNREACHABLE: 0x000e,
  NOT_REGISTERED: 0xffff,
} as const;

/**
 * Device status codes (the `*_code` byte on the DevicePort with status ERROR; the CPU sees cc 1
 * with this status). Chosen by this model; distinct per reason.
 */
export const IsmStatus = {
  /** Move: bits 32–47 name no registered DMB, or bits 48–63 are not zero. */
  MOVE_UNKNOWN_TOKEN: 0xa1,
  /** Move: the writer's GID is not the DMB's registered remote GID. */
  MOVE_GID_MISMATCH: 0xa2,
  /** Move: the DMB is VLAN-bound and the writer has not added that VLAN id. */
  MOVE_VLAN_MISMATCH: 0xa3,
  /** Move: offset (bits 0–22) + length > DMB length. */
  MOVE_OUT_OF_BOUNDS: 0xa4,
  /** Move: sf = 1 with a DMBE index ≥ 16 (dmbe_mask is 16 bits). */
  MOVE_BAD_DMBE_INDEX: 0xa5,
  /** Move: the target DMB was unregistered (or its function reset) while the move was in flight. */
  MOVE_TARGET_NOT_READY: 0xa6,
  /** PCILG/PCISTG to BAR 0: the move window takes PCISTB only. */
  MOVE_SINGLE_ACCESS: 0xa7,
  /** BAR 2 store that covers part of the 8-byte header (a doorbell must write all 8 bytes). */
  CMD_PARTIAL_HEADER: 0xb1,
  /** Access outside the BAR 2 window or config space, or to an address space the device lacks. */
  BAD_ADDRESS: 0xb2,
} as const;

/** IEQ event types and codes (spec §6; N: drivers/s390/net/ism.h). */
export const IsmEventType = { BUF: 0, DEV: 1, SWR: 2 } as const;
export const IsmEventCode = {
  /** DEV: the function with GID `tok` went into an error state. */
  DEV_GID_ERR_STATE: 1,
  /** BUF: the function owning DMB `tok` (which this function writes) is in an error state. */
  BUF_OWNING_ISM_DEV_IN_ERR_STATE: 2,
  /** BUF: the function writing this function's DMB `tok` is in an error state. */
  BUF_USING_ISM_DEV_IN_ERR_STATE: 3,
  /** BUF: DMB `tok`, which this function writes, was unregistered (or its owner reset). */
  BUF_DMB_UNREGISTERED: 4,
  /** BUF: VLAN mismatch with the DMB's owner (never posted by this model: VLANs are checked per move). */
  BUF_VLAN_MISMATCH_WITH_OWNER: 5,
  /** BUF: VLAN mismatch with the DMB's user (never posted by this model). */
  BUF_VLAN_MISMATCH_WITH_USER: 6,
  /** DEV: the function with GID `tok` was disabled. */
  DEV_GID_DISABLED: 7,
  /** BUF: the function writing this function's DMB `tok` was disabled. */
  BUF_USING_ISM_DEV_DISABLED: 8,
} as const;

export interface FieldSpec {
  readonly name: string;
  /** Byte offset from the start of the block (header included). */
  readonly offset: number;
  readonly size: 2 | 4 | 8;
}

export interface CommandSpec {
  readonly code: number;
  readonly name: IsmCmdName;
  /** `hdr.len` the device requires (the request struct size). */
  readonly requestLength: number;
  /** `len` of a successful response (multiple of 8). Error responses are 8. */
  readonly responseLength: number;
  readonly request: readonly FieldSpec[];
  readonly response: readonly FieldSpec[];
}

const f = (name: string, offset: number, size: 2 | 4 | 8): FieldSpec => ({ name, offset, size });

const QUERY_INFO_FIELDS: FieldSpec[] = [
  f('version', 8, 4),
  f('max_len', 12, 4),
  f('ism_state', 16, 8),
  f('my_gid', 24, 8),
  f('sba', 32, 8),
  f('ieq', 40, 8),
  f('ieq_len', 48, 4),
  f('dmbs_owned', 56, 4),
  f('dmbs_used', 60, 4),
  f('vlan_required', 64, 4),
  f('vlan_nr_ids', 68, 4),
  ...Array.from({ length: 64 }, (_, i) => f(`vlan_id${i}`, 72 + 2 * i, 2)),
];

export const COMMANDS: readonly CommandSpec[] = [
  { code: 0x01, name: 'REG_SBA', requestLength: 16, responseLength: 8, request: [f('sba', 8, 8)], response: [] },
  { code: 0x02, name: 'REG_IEQ', requestLength: 24, responseLength: 8, request: [f('ieq', 8, 8), f('len', 16, 8)], response: [] },
  { code: 0x03, name: 'READ_GID', requestLength: 8, responseLength: 16, request: [], response: [f('gid', 8, 8)] },
  { code: 0x04, name: 'ADD_VLAN_ID', requestLength: 16, responseLength: 8, request: [f('vlan_id', 8, 8)], response: [] },
  { code: 0x05, name: 'DEL_VLAN_ID', requestLength: 16, responseLength: 8, request: [f('vlan_id', 8, 8)], response: [] },
  { code: 0x06, name: 'SET_VLAN', requestLength: 8, responseLength: 8, request: [], response: [] },
  { code: 0x07, name: 'RESET_VLAN', requestLength: 8, responseLength: 8, request: [], response: [] },
  { code: 0x08, name: 'QUERY_INFO', requestLength: 8, responseLength: 200, request: [], response: QUERY_INFO_FIELDS },
  {
    code: 0x09,
    name: 'QUERY_RGID',
    requestLength: 24,
    responseLength: 8,
    request: [f('rgid', 8, 8), f('vlan_valid', 16, 4), f('vlan_id', 20, 4)],
    response: [],
  },
  {
    code: 0x0a,
    name: 'REG_DMB',
    requestLength: 40,
    responseLength: 16,
    request: [f('dmb', 8, 8), f('dmb_len', 16, 4), f('sba_idx', 20, 4), f('vlan_valid', 24, 4), f('vlan_id', 28, 4), f('rgid', 32, 8)],
    response: [f('dmb_tok', 8, 8)],
  },
  { code: 0x0b, name: 'UNREG_DMB', requestLength: 16, responseLength: 8, request: [f('dmb_tok', 8, 8)], response: [] },
  {
    code: 0x0e,
    name: 'SIGNAL_IEQ',
    requestLength: 32,
    responseLength: 8,
    request: [f('rgid', 8, 8), f('trigger_irq', 16, 4), f('event_code', 20, 4), f('info', 24, 8)],
    response: [],
  },
  { code: 0x11, name: 'UNREG_SBA', requestLength: 8, responseLength: 8, request: [], response: [] },
  { code: 0x12, name: 'UNREG_IEQ', requestLength: 8, responseLength: 8, request: [], response: [] },
];

export const COMMAND_BY_CODE: ReadonlyMap<number, CommandSpec> = new Map(COMMANDS.map((c) => [c.code, c]));
export const COMMAND_BY_NAME: ReadonlyMap<IsmCmdName, CommandSpec> = new Map(COMMANDS.map((c) => [c.name, c]));

export type FieldValues = Record<string, bigint>;

/** The 8-byte header: request {cmd u32, rsvd u16, len u16} or response {cmd u32, ret u16, len u16}. */
export function encodeHeader(cmd: number, middle: number, len: number): Uint8Array {
  const b = new Uint8Array(8);
  b.set(bigEndianToBytes(BigInt(cmd >>> 0), 4), 0);
  b.set(bigEndianToBytes(BigInt(middle & 0xffff), 2), 4);
  b.set(bigEndianToBytes(BigInt(len & 0xffff), 2), 6);
  return b;
}

export interface Header {
  readonly cmd: number;
  /** `rsvd` in a request, `ret` in a response. */
  readonly middle: number;
  readonly len: number;
}

export function decodeHeader(bytes: Uint8Array): Header {
  return {
    cmd: Number(bytesToBigEndian(bytes.subarray(0, 4))),
    middle: Number(bytesToBigEndian(bytes.subarray(4, 6))),
    len: Number(bytesToBigEndian(bytes.subarray(6, 8))),
  };
}

/** Writes named fields into `block` (big-endian); unknown names throw, missing ones stay zero. */
export function writeFields(block: Uint8Array, fields: readonly FieldSpec[], values: Partial<Record<string, bigint | number>>): void {
  const known = new Set(fields.map((x) => x.name));
  for (const k of Object.keys(values)) if (!known.has(k)) throw new Error(`unknown field ${k}`);
  for (const fs of fields) {
    const v = values[fs.name];
    if (v === undefined) continue;
    block.set(bigEndianToBytes(BigInt(v), fs.size), fs.offset);
  }
}

export function readFields(block: Uint8Array, fields: readonly FieldSpec[]): FieldValues {
  const out: FieldValues = {};
  for (const fs of fields) out[fs.name] = bytesToBigEndian(block.subarray(fs.offset, fs.offset + fs.size));
  return out;
}

/**
 * A whole request block (header + body) for a command. `len` defaults to the command's request
 * length; pass another to build a malformed request.
 */
export function encodeRequest(name: IsmCmdName, values: Partial<Record<string, bigint | number>> = {}, len?: number): Uint8Array {
  const spec = COMMAND_BY_NAME.get(name)!;
  const total = Math.max(len ?? spec.requestLength, spec.requestLength);
  const block = new Uint8Array(total);
  block.set(encodeHeader(spec.code, 0, len ?? spec.requestLength), 0);
  writeFields(block, spec.request, values);
  return block;
}

export function decodeRequest(block: Uint8Array): { header: Header; spec?: CommandSpec; fields: FieldValues } {
  const header = decodeHeader(block);
  const spec = COMMAND_BY_CODE.get(header.cmd);
  return { header, spec, fields: spec ? readFields(block, spec.request) : {} };
}

/** A response block of `len` bytes (header + body). */
export function encodeResponse(spec: CommandSpec, ret: number, values: Partial<Record<string, bigint | number>> = {}): Uint8Array {
  const len = ret === IsmRc.OK ? spec.responseLength : 8;
  const block = new Uint8Array(len);
  block.set(encodeHeader(spec.code, ret, len), 0);
  if (ret === IsmRc.OK) writeFields(block, spec.response, values);
  return block;
}

/** The BAR 0 offset of a move: token | idx << 24 | sf << 23 | offset (ism.h ISM_CREATE_REQ). */
export function moveOffset(token: bigint, idx: number, sf: boolean, offset: number): bigint {
  return token | (BigInt(idx & 0xff) << 24n) | (sf ? 1n << 23n : 0n) | BigInt(offset);
}

export interface MoveAddress {
  /** Bits 32–63 as-is (bits 48–63 must be zero for a valid token). */
  readonly token: bigint;
  readonly idx: number;
  readonly sf: boolean;
  /** Bits 0–22 (bits 20–22 make any DMB ≤ 1 MiB out of bounds). */
  readonly offset: number;
}

export function decodeMoveOffset(pciOffset: bigint): MoveAddress {
  return {
    token: pciOffset & 0xffff_ffff_0000_0000n,
    idx: Number((pciOffset >> 24n) & 0xffn),
    sf: ((pciOffset >> 23n) & 1n) === 1n,
    offset: Number(pciOffset & 0x7f_ffffn),
  };
}

/** SBA layout (spec §5.1). */
export const Sba = {
  SIZE: 4096,
  SUMMARY_BYTE: 0,
  SUMMARY_MASK: 0x80,
  EVENT_MASK: 0x40,
  /** DMB bit i: byte 4 + ⌊i/8⌋, mask 0x80 >> (i mod 8) (MSB-0, dmb_bits start at +4). */
  dmbBitByte: (i: number) => 4 + (i >> 3),
  dmbBitMask: (i: number) => 0x80 >> (i & 7),
  /** dmbe_mask[i] (u16) at 256 + 2i. */
  dmbeMaskOffset: (i: number) => 256 + 2 * i,
  FIRST_DMB_INDEX: 32,
  LAST_DMB_INDEX: 1919,
} as const;

/** IEQ layout (spec §5.2). */
export const Ieq = {
  HEADER_SIZE: 32,
  ENTRY_SIZE: 32,
  ENTRIES: 15,
  /** Length Linux registers; the device requires at least this. */
  MIN_LENGTH: 512,
  entryOffset: (k: number) => 32 + 32 * k,
} as const;

export interface IeqEntry {
  readonly type: number;
  readonly code: number;
  readonly tok: bigint;
  readonly time: bigint;
  readonly info: bigint;
}

export function encodeIeqEntry(e: IeqEntry): Uint8Array {
  const b = new Uint8Array(32);
  b.set(bigEndianToBytes(BigInt(e.type >>> 0), 4), 0);
  b.set(bigEndianToBytes(BigInt(e.code >>> 0), 4), 4);
  b.set(bigEndianToBytes(e.tok, 8), 8);
  b.set(bigEndianToBytes(e.time, 8), 16);
  b.set(bigEndianToBytes(e.info, 8), 24);
  return b;
}

export function decodeIeqEntry(b: Uint8Array): IeqEntry {
  return {
    type: Number(bytesToBigEndian(b.subarray(0, 4))),
    code: Number(bytesToBigEndian(b.subarray(4, 8))),
    tok: bytesToBigEndian(b.subarray(8, 16)),
    time: bytesToBigEndian(b.subarray(16, 24)),
    info: bytesToBigEndian(b.subarray(24, 32)),
  };
}
