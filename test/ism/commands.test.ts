/** Every command's bytes and effects, config space, BAR 2 protocol errors, events and IEQ. */
import { describe, expect, it } from 'vitest';
import { IsmFixture } from '../support/ism-fixture.ts';
import {
  COMMANDS,
  decodeIeqEntry,
  decodeMoveOffset,
  encodeHeader,
  encodeRequest,
  IsmCmd,
  IsmEventCode,
  IsmEventType,
  IsmRc,
  IsmStatus,
  moveOffset,
} from '../../rtl/ism/commands.ts';
import { IsmNetwork } from '../../rtl/ism/network.ts';
import { DeviceStatus } from '../../rtl/zpci/device-port.ts';
import { SimAssertionError } from '../../rtl/hdl/index.ts';
import { dmbSlot, IEQ_AT, SBA_AT } from './support.ts';

const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

describe('command codec', () => {
  it('request layouts are big-endian with the header length the driver sends', () => {
    expect(hex(encodeRequest('READ_GID'))).toBe('0000000300000008');
    expect(hex(encodeRequest('REG_SBA', { sba: 0x1122334455667788n }))).toBe('00000001000000101122334455667788');
    expect(hex(encodeRequest('REG_IEQ', { ieq: 0x2000, len: 512 }))).toBe('0000000200000018' + '0000000000002000' + '0000000000000200');
    expect(
      hex(encodeRequest('REG_DMB', { dmb: 0x100000, dmb_len: 0x4000, sba_idx: 33, vlan_valid: 1, vlan_id: 7, rgid: 0xabcdn })),
    ).toBe('0000000a00000028' + '0000000000100000' + '00004000' + '00000021' + '00000001' + '00000007' + '000000000000abcd');
    expect(hex(encodeRequest('SIGNAL_IEQ', { rgid: 5n, trigger_irq: 1, event_code: 0x80, info: 0x0102030405060708n }))).toBe(
      '0000000e00000020' + '0000000000000005' + '00000001' + '00000080' + '0102030405060708',
    );
    expect(hex(encodeRequest('QUERY_RGID', { rgid: 9n, vlan_valid: 1, vlan_id: 3 }))).toBe('0000000900000018' + '0000000000000009' + '00000001' + '00000003');
    for (const c of COMMANDS) {
      expect(encodeRequest(c.name).length).toBe(c.requestLength);
      expect(c.responseLength % 8).toBe(0);
    }
    expect(hex(encodeHeader(0x0a, 0xffff, 8))).toBe('0000000affff0008');
  });

  it('move offsets: token | idx << 24 | sf << 23 | offset', () => {
    const o = moveOffset(0x1234n << 32n, 0x5a, true, 0xfffff);
    expect(o).toBe(0x0000_1234_5a8f_ffffn);
    expect(decodeMoveOffset(o)).toEqual({ token: 0x1234n << 32n, idx: 0x5a, sf: true, offset: 0xfffff });
  });
});

describe('config space and function attributes', () => {
  it('IDs, class, MSI capability and BAR sizing through space 15 (bytes in address order)', async () => {
    const fx = new IsmFixture(1);
    const d = fx.vms[0].driver;
    await fx.run(async () => {
      expect((await d.load(15, 0, 4)).data).toBe(0x1410ed04n); // 1014:04ED little-endian, in address order
      expect((await d.load(15, 0x08, 4)).data).toBe(0x00008002n); // rev 0, prog-if 0, subclass 0x80, class 0x02
      expect((await d.load(15, 0x34, 1)).data).toBe(0x40n);
      expect((await d.load(15, 0x40, 4)).data).toBe(0x05008000n); // MSI id 5, next 0, control 0x0080
      await d.store(15, 0x10, 4, 0xffffffffn);
      await d.store(15, 0x14, 4, 0xffffffffn);
      await d.store(15, 0x18, 4, 0xffffffffn);
      await d.store(15, 0x1c, 4, 0xffffffffn);
      expect((await d.load(15, 0x10, 8)).data).toBe(0x04000000_0000ffffn); // 2^48, 64-bit memory BAR
      expect((await d.load(15, 0x18, 8)).data).toBe(0x04f0ffff_ffffffffn); // 4 KiB BAR 2
      await d.store(15, 0x04, 2, 0x0600n); // memory space + bus master (LE 0x0006)
      expect((await d.load(15, 0x04, 2)).data).toBe(0x0600n);
      await d.store(15, 0x00, 4, 0n); // read-only
      expect((await d.load(15, 0, 2)).data).toBe(0x1410n);
      await d.store(15, 0x42, 2, 0x0100n); // MSI enable
      expect(fx.vms[0].adapter.configSpace.msiEnabled).toBe(true);
      expect((await d.load(15, 0x100, 4)).status).toBe(DeviceStatus.ERROR);
    });
    const a = fx.vms[0].adapter.attributes;
    expect(a).toMatchObject({ pft: 5, maxstbl: 4096, vendorId: 0x1014, deviceId: 0x04ed, mioCapable: false, msiVectors: 1, relaxedAlignment: true });
    expect(a.barSizes[0]).toBe(1n << 48n);
    expect(a.fh >>> 31).toBe(1);
  });
});

async function bringUp(fx: IsmFixture, vm: number): Promise<void> {
  expect((await fx.command(vm, 'REG_SBA', { sba: SBA_AT })).ret).toBe(0);
  expect((await fx.command(vm, 'REG_IEQ', { ieq: IEQ_AT, len: 512 })).ret).toBe(0);
}

describe('commands', () => {
  it('READ_GID: 16-byte response with the GID; GIDs are deterministic per network and VM', async () => {
    const fx = new IsmFixture(2, { networkId: 7 });
    const r = await fx.run(() => fx.command(1, 'READ_GID'));
    expect(r).toMatchObject({ ret: 0, len: 16, cmd: IsmCmd.READ_GID });
    expect(r.fields.gid).toBe(IsmNetwork.gidFor(7, 1));
    expect(hex(r.raw.subarray(0, 8))).toBe('0000000300000010');
  });

  it('REG_SBA / REG_IEQ / UNREG_*: registration, IEQ header, errors, NOT_REGISTERED = 0xFFFF', async () => {
    const fx = new IsmFixture(1);
    const ad = fx.vms[0].adapter;
    const mem = fx.vms[0].memory;
    await fx.run(async () => {
      expect((await fx.command(0, 'REG_SBA', { sba: 0x1008 })).ret).toBe(IsmRc.BAD_ADDRESS);
      expect((await fx.command(0, 'REG_SBA', { sba: 64n << 20n })).ret).toBe(IsmRc.BAD_ADDRESS);
      expect((await fx.command(0, 'REG_SBA', { sba: SBA_AT })).ret).toBe(0);
      expect(ad.sbaAddress).toBe(SBA_AT);
      expect((await fx.command(0, 'REG_SBA', { sba: 0x5000 })).ret).toBe(IsmRc.ALREADY_REGISTERED);
      expect((await fx.command(0, 'REG_IEQ', { ieq: IEQ_AT, len: 480 })).ret).toBe(IsmRc.BAD_IEQ_LENGTH);
      expect((await fx.command(0, 'REG_IEQ', { ieq: IEQ_AT, len: 520 })).ret).toBe(IsmRc.BAD_IEQ_LENGTH);
      expect((await fx.command(0, 'REG_IEQ', { ieq: IEQ_AT, len: 512 })).ret).toBe(0);
      expect(mem.readU64(IEQ_AT)).toBe(0n);
      expect(mem.readU64(IEQ_AT + 8)).toBe(512n);
      expect(mem.readU64(IEQ_AT + 16)).toBe(32n);
      const q = await fx.command(0, 'QUERY_INFO');
      expect(q.len).toBe(200);
      expect(q.fields).toMatchObject({ sba: BigInt(SBA_AT), ieq: BigInt(IEQ_AT), ieq_len: 512n, ism_state: 3n, my_gid: ad.gid, version: 1n, max_len: 1n << 20n });
      expect((await fx.command(0, 'UNREG_IEQ')).ret).toBe(0);
      expect((await fx.command(0, 'UNREG_SBA')).ret).toBe(0);
      expect((await fx.command(0, 'UNREG_IEQ')).ret).toBe(IsmRc.NOT_REGISTERED);
      expect((await fx.command(0, 'UNREG_SBA')).ret).toBe(0xffff);
      expect(ad.sbaAddress).toBe(null);
      expect(ad.ieqAddress).toBe(null);
    });
  });

  it('VLANs: ADD/DEL_VLAN_ID, the 0x1FFF V2 probe, SET/RESET_VLAN, QUERY_INFO lists them', async () => {
    const fx = new IsmFixture(1, { config: { maxVlans: 3 } });
    await fx.run(async () => {
      expect((await fx.command(0, 'ADD_VLAN_ID', { vlan_id: 0x1fff })).ret).toBe(0);
      expect((await fx.command(0, 'ADD_VLAN_ID', { vlan_id: 0x2000 })).ret).toBe(IsmRc.BAD_VLAN_ID);
      expect((await fx.command(0, 'ADD_VLAN_ID', { vlan_id: 5 })).ret).toBe(0);
      expect((await fx.command(0, 'ADD_VLAN_ID', { vlan_id: 5 })).ret).toBe(0);
      expect((await fx.command(0, 'ADD_VLAN_ID', { vlan_id: 6 })).ret).toBe(0);
      expect((await fx.command(0, 'ADD_VLAN_ID', { vlan_id: 7 })).ret).toBe(IsmRc.VLAN_TABLE_FULL);
      expect((await fx.command(0, 'DEL_VLAN_ID', { vlan_id: 0x1fff })).ret).toBe(0);
      expect((await fx.command(0, 'DEL_VLAN_ID', { vlan_id: 9 })).ret).toBe(IsmRc.VLAN_NOT_FOUND);
      expect((await fx.command(0, 'SET_VLAN')).ret).toBe(0);
      let q = await fx.command(0, 'QUERY_INFO');
      expect(q.fields).toMatchObject({ vlan_required: 1n, vlan_nr_ids: 2n, vlan_id0: 5n, vlan_id1: 6n, vlan_id2: 0n });
      expect((await fx.command(0, 'RESET_VLAN')).ret).toBe(0);
      q = await fx.command(0, 'QUERY_INFO');
      expect(q.fields.vlan_required).toBe(0n);
    });
    const fx2 = new IsmFixture(1, { config: { supportsV2: false } });
    expect((await fx2.run(() => fx2.command(0, 'ADD_VLAN_ID', { vlan_id: 0x1fff }))).ret).toBe(IsmRc.BAD_VLAN_ID);
  });

  it('QUERY_RGID: reachable GIDs, VLAN must be on both ends', async () => {
    const fx = new IsmFixture(2);
    const g1 = fx.vms[1].adapter.gid;
    await fx.run(async () => {
      expect((await fx.command(0, 'QUERY_RGID', { rgid: g1 })).ret).toBe(0);
      expect((await fx.command(0, 'QUERY_RGID', { rgid: 0x1234n })).ret).toBe(IsmRc.GID_UNREACHABLE);
      expect((await fx.command(0, 'QUERY_RGID', { rgid: g1, vlan_valid: 1, vlan_id: 4 })).ret).toBe(IsmRc.GID_UNREACHABLE);
      await fx.command(0, 'ADD_VLAN_ID', { vlan_id: 4 });
      await fx.command(1, 'ADD_VLAN_ID', { vlan_id: 4 });
      expect((await fx.command(0, 'QUERY_RGID', { rgid: g1, vlan_valid: 1, vlan_id: 4 })).ret).toBe(0);
    });
  });

  it('REG_DMB / UNREG_DMB: token format, checks, counts, BUF event to the writer', async () => {
    const fx = new IsmFixture(2);
    const g0 = fx.vms[0].adapter.gid;
    await fx.run(async () => {
      await bringUp(fx, 0);
      const reg = (f: Record<string, bigint | number>) => fx.command(1, 'REG_DMB', { dmb: dmbSlot(0), dmb_len: 16384, sba_idx: 32, rgid: g0, ...f });
      expect((await reg({ dmb_len: 0 })).ret).toBe(IsmRc.BAD_DMB_LENGTH);
      expect((await reg({ dmb_len: (1 << 20) + 1 })).ret).toBe(IsmRc.BAD_DMB_LENGTH);
      expect((await reg({ dmb: (64 << 20) - 100 })).ret).toBe(IsmRc.BAD_ADDRESS);
      expect((await reg({ sba_idx: 31 })).ret).toBe(IsmRc.BAD_SBA_INDEX);
      expect((await reg({ sba_idx: 1920 })).ret).toBe(IsmRc.BAD_SBA_INDEX);
      expect((await reg({ vlan_valid: 1, vlan_id: 0x1000 })).ret).toBe(IsmRc.BAD_VLAN_ID);
      expect(fx.net.dmbTable.size).toBe(0);
      const a = await reg({ dmb_len: 1 << 20 });
      expect(a).toMatchObject({ ret: 0, len: 16 });
      const tok = a.fields.dmb_tok;
      expect(tok & 0xffff_0000_ffff_ffffn).toBe(0n);
      expect(tok).toBe(1n << 32n);
      expect((await reg({ dmb: dmbSlot(2) })).ret).toBe(IsmRc.SBA_INDEX_IN_USE);
      const b = await reg({ dmb: dmbSlot(2), sba_idx: 1919 });
      expect(b.fields.dmb_tok).toBe(2n << 32n);
      expect((await fx.command(1, 'QUERY_INFO')).fields.dmbs_owned).toBe(2n);
      expect((await fx.command(0, 'QUERY_INFO')).fields.dmbs_used).toBe(2n);
      expect((await fx.command(0, 'UNREG_DMB', { dmb_tok: tok })).ret).toBe(IsmRc.UNKNOWN_TOKEN); // not the owner
      expect((await fx.command(1, 'UNREG_DMB', { dmb_tok: tok })).ret).toBe(0);
      expect((await fx.command(1, 'UNREG_DMB', { dmb_tok: tok })).ret).toBe(IsmRc.UNKNOWN_TOKEN);
      // The writer (vm0) got BUF / DMB_UNREGISTERED with the token.
      const mem0 = fx.vms[0].memory;
      expect(mem0.readU64(IEQ_AT)).toBe(1n);
      expect(decodeIeqEntry(mem0.read(IEQ_AT + 32, 32))).toMatchObject({ type: IsmEventType.BUF, code: IsmEventCode.BUF_DMB_UNREGISTERED, tok, info: 0n });
      expect(mem0.readU8(SBA_AT) & 0x40).toBe(0x40);
      // Tokens are not reused soon: the next one is 3.
      expect((await reg({ dmb: dmbSlot(3), sba_idx: 40 })).fields.dmb_tok).toBe(3n << 32n);
    });
    await fx.idle(10);
    expect(fx.vms[0].adapter.msiPulses).toBe(1);
  });

  it('SIGNAL_IEQ: SWR entry (sender GID as tok), header.idx = slot + 1, wraps after 15, e bit, MSI', async () => {
    const fx = new IsmFixture(2);
    const mem1 = fx.vms[1].memory;
    await fx.run(async () => {
      await bringUp(fx, 1);
      expect((await fx.command(0, 'SIGNAL_IEQ', { rgid: 0x77n, trigger_irq: 1 })).ret).toBe(IsmRc.GID_UNREACHABLE);
      for (let i = 0; i < 16; i++) {
        const r = await fx.command(0, 'SIGNAL_IEQ', { rgid: fx.vms[1].adapter.gid, trigger_irq: 1, event_code: 0x80 + i, info: BigInt(i) << 8n });
        expect(r.ret).toBe(0);
        expect(mem1.readU64(IEQ_AT)).toBe(BigInt((i % 15) + 1));
      }
    });
    const first = decodeIeqEntry(mem1.read(IEQ_AT + 32, 32)); // slot 0 overwritten by event 15
    expect(first).toMatchObject({ type: IsmEventType.SWR, code: 0x80 + 15, tok: fx.vms[0].adapter.gid, info: 15n << 8n });
    expect(first.time).toBeGreaterThan(0n);
    expect(decodeIeqEntry(mem1.read(IEQ_AT + 32 + 32 * 14, 32)).code).toBe(0x80 + 14);
    expect(mem1.readU8(SBA_AT)).toBe(0x40);
    await fx.idle(10);
    expect(fx.vms[1].adapter.msiPulses).toBe(1); // merged: e stayed set
  });

  it('SIGNAL_IEQ without trigger writes the entry but neither e nor an MSI; no IEQ → dropped', async () => {
    const fx = new IsmFixture(2);
    await fx.run(async () => {
      expect((await fx.command(0, 'SIGNAL_IEQ', { rgid: fx.vms[1].adapter.gid, trigger_irq: 1 })).ret).toBe(0);
      expect(fx.vms[1].adapter.droppedEvents).toBe(1);
      await bringUp(fx, 1);
      await fx.command(0, 'SIGNAL_IEQ', { rgid: fx.vms[1].adapter.gid, trigger_irq: 0, event_code: 3 });
    });
    await fx.idle(10);
    expect(fx.vms[1].memory.readU64(IEQ_AT)).toBe(1n);
    expect(fx.vms[1].memory.readU8(SBA_AT)).toBe(0);
    expect(fx.vms[1].adapter.msiPulses).toBe(0);
  });
});

describe('BAR 2 protocol', () => {
  it('unknown code and bad length: defined ret, len 8, no state change', async () => {
    const fx = new IsmFixture(1);
    const d = fx.vms[0].driver;
    await fx.run(async () => {
      expect((await d.storeBlock(2, 0, encodeHeader(0x0c, 0, 8))).status).toBe(DeviceStatus.OK);
      await fx.sim.tick(fx.timing.commandCycles);
      const h = await d.load(2, 0, 8);
      expect(h.data).toBe(0x0000000c_0001_0008n);
      const bad = await fx.command(0, 'REG_SBA', { sba: SBA_AT }, 24);
      expect(bad).toMatchObject({ ret: IsmRc.BAD_LENGTH, len: 8 });
      expect(fx.vms[0].adapter.sbaAddress).toBe(null);
    });
  });

  it('a second command while one runs: header PCISTB and response PCILG get BUSY (cc 2); state unchanged', async () => {
    const fx = new IsmFixture(1);
    const d = fx.vms[0].driver;
    await fx.run(async () => {
      await d.storeBlock(2, 8, encodeRequest('REG_SBA', { sba: SBA_AT }).subarray(8));
      await d.storeBlock(2, 0, encodeRequest('REG_SBA').subarray(0, 8));
      expect(fx.vms[0].adapter.commandRunning).toBe(true);
      expect((await d.storeBlock(2, 0, encodeRequest('UNREG_SBA'))).status).toBe(DeviceStatus.BUSY);
      expect((await d.storeBlock(2, 8, new Uint8Array(8))).status).toBe(DeviceStatus.BUSY);
      expect((await d.load(2, 0, 8)).status).toBe(DeviceStatus.BUSY);
      expect((await d.store(2, 8, 8, 0n)).status).toBe(DeviceStatus.BUSY);
      await fx.sim.until(() => !fx.vms[0].adapter.commandRunning);
      expect((await d.load(2, 0, 8)).data).toBe(0x00000001_0000_0008n);
      expect(fx.vms[0].adapter.sbaAddress).toBe(SBA_AT);
    });
  });

  it('partial headers and bad spaces are refused; PCISTG can also write the command; BAR 0 takes PCISTB only', async () => {
    const fx = new IsmFixture(1);
    const d = fx.vms[0].driver;
    await fx.run(async () => {
      expect(await d.storeBlock(2, 4, new Uint8Array(8))).toMatchObject({ status: DeviceStatus.ERROR, code: IsmStatus.CMD_PARTIAL_HEADER });
      expect(await d.storeBlock(2, 0, new Uint8Array(4))).toMatchObject({ status: DeviceStatus.ERROR, code: IsmStatus.CMD_PARTIAL_HEADER });
      expect(await d.store(2, 0, 4, 0n)).toMatchObject({ status: DeviceStatus.ERROR, code: IsmStatus.CMD_PARTIAL_HEADER });
      expect(await d.storeBlock(2, 4090, new Uint8Array(8))).toMatchObject({ status: DeviceStatus.ERROR, code: IsmStatus.BAD_ADDRESS });
      expect(await d.load(0, 0, 8)).toMatchObject({ status: DeviceStatus.ERROR, code: IsmStatus.MOVE_SINGLE_ACCESS });
      expect(await d.store(0, 0, 8, 1n)).toMatchObject({ status: DeviceStatus.ERROR, code: IsmStatus.MOVE_SINGLE_ACCESS });
      expect(await d.load(4, 0, 8)).toMatchObject({ status: DeviceStatus.ERROR, code: IsmStatus.BAD_ADDRESS });
      // PCISTG body + PCISTG header (doorbell) work as well as PCISTB.
      await d.store(2, 8, 8, BigInt(SBA_AT));
      await d.store(2, 0, 8, 0x00000001_0000_0010n);
      await fx.sim.until(() => !fx.vms[0].adapter.commandRunning);
      expect((await d.load(2, 0, 8)).data).toBe(0x00000001_0000_0008n);
      // Header + body in one PCISTB.
      const r = await fx.command(0, 'READ_GID');
      expect(r.ret).toBe(0);
    });
    expect(fx.vms[0].adapter.sbaAddress).toBe(SBA_AT);
  });

  it('the network asserts when a DMA would land outside the registered regions', () => {
    const fx = new IsmFixture(1);
    expect(() => fx.net.dma(fx.vms[0].adapter, 0x5000, new Uint8Array(4))).toThrow(SimAssertionError);
  });
});
