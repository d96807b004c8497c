/** BAR 0 moves: data path, validation codes, signalling, MSI rules, and cycle counts pinned. */
import { describe, expect, it } from 'vitest';
import { IsmFixture } from '../support/ism-fixture.ts';
import { DevicePortDriver } from '../support/device-port-driver.ts';
import { encodeRequest, IsmRc, IsmStatus, moveOffset } from '../../rtl/ism/commands.ts';
import { DeviceStatus } from '../../rtl/zpci/device-port.ts';
import type { IsmTiming } from '../../rtl/timing.ts';
import { dmbSlot, IEQ_AT, patternBytes, SBA_AT } from './support.ts';

const DMB = dmbSlot(0);
const IDX = 40;

/** vm1 owns a DMB (writer vm0) with SBA+IEQ registered; returns the token. */
async function twoVms(fx: IsmFixture, dmbLen = 65536, extra: Record<string, number> = {}): Promise<bigint> {
  return fx.run(async () => {
    await fx.command(1, 'REG_SBA', { sba: SBA_AT });
    await fx.command(1, 'REG_IEQ', { ieq: IEQ_AT, len: 512 });
    const r = await fx.command(1, 'REG_DMB', { dmb: DMB, dmb_len: dmbLen, sba_idx: IDX, rgid: fx.vms[0].adapter.gid, ...extra });
    expect(r.ret).toBe(0);
    return r.fields.dmb_tok;
  });
}

/** Records the cycles in which vm's msi was high. */
function watchMsi(fx: IsmFixture, vm: number): number[] {
  const seen: number[] = [];
  const sub = fx.vms[vm].adapter.msi.changes$.subscribe((v) => {
    if (v === 1) seen.push(fx.sim.cycle);
  });
  fx.sim.onDispose(() => sub.unsubscribe());
  return seen;
}

describe('move timing (pinned against rtl/TIMING.md)', () => {
  const cases: [string, Partial<IsmTiming>][] = [
    ['defaults', {}],
    ['other latencies', { moveLookupCycles: 3, moveCommitCycles: 0, msiLatency: 1 }],
  ];
  for (const [label, timing] of cases) {
    it(`4 KiB aligned move with signal: lookup + 512 beats + commit, MSI msiLatency later (${label})`, async () => {
      const fx = new IsmFixture(2, { timing });
      const t = fx.timing;
      const tok = await twoVms(fx);
      const msi = watchMsi(fx, 1);
      const data = patternBytes(4096, 1);
      const r = await fx.run(() => fx.moveChunk(0, tok, 0, true, 4096, data));
      await fx.idle(t.msiLatency + 2);
      expect(r.status).toBe(DeviceStatus.OK);
      const tr = r.trace!;
      expect(tr.accept - tr.start).toBe(t.moveLookupCycles);
      expect(tr.lastBeat! - tr.accept).toBe(512);
      expect(tr.done! - tr.lastBeat!).toBe(t.moveCommitCycles);
      expect(r.cycles).toBe(t.moveLookupCycles + 512 + t.moveCommitCycles);
      if (label === 'defaults') expect(r.cycles).toBe(526);
      expect(msi).toEqual([tr.done! + t.msiLatency]);
      expect(fx.vms[1].memory.read(DMB + 4096, 4096)).toEqual(data);
    });
  }

  it('unaligned move: beats = ceil((offset mod 8 + n) / 8)', async () => {
    const fx = new IsmFixture(2);
    const tok = await twoVms(fx);
    for (const [off, n] of [
      [3, 100],
      [7, 1],
      [4095, 1],
      [8, 8],
      [1, 4095],
    ]) {
      const data = patternBytes(n, off);
      const r = await fx.run(() => fx.moveChunk(0, tok, 0, false, off, data));
      expect(r.cycles, `off ${off} len ${n}`).toBe(fx.timing.moveLookupCycles + Math.ceil(((off % 8) + n) / 8) + fx.timing.moveCommitCycles);
      expect(fx.vms[1].memory.read(DMB + off, n)).toEqual(data);
    }
  });

  it('back-pressure free: a slow source (beat gaps) still lands every byte', async () => {
    const fx = new IsmFixture(2);
    const tok = await twoVms(fx);
    const slow = new DevicePortDriver(fx.sim, fx.vms[0].port, { beatGap: 2 });
    const data = patternBytes(200, 9);
    const r = await fx.run(() => slow.storeBlock(0, moveOffset(tok, 0, false, 13), data));
    expect(r.status).toBe(DeviceStatus.OK);
    expect(fx.vms[1].memory.read(DMB + 13, 200)).toEqual(data);
  });

  it('command timing: response after commandCycles; SIGNAL_IEQ MSI msiLatency after execution', async () => {
    const fx = new IsmFixture(2);
    const t = fx.timing;
    await twoVms(fx);
    const msi = watchMsi(fx, 1);
    const d = fx.vms[0].driver;
    const ad = fx.vms[0].adapter;
    let td = 0;
    let fell = 0;
    await fx.run(async () => {
      const req = encodeRequest('SIGNAL_IEQ', { rgid: fx.vms[1].adapter.gid, trigger_irq: 1 });
      await d.storeBlock(2, 8, req.subarray(8));
      const h = await d.storeBlock(2, 0, req.subarray(0, 8));
      td = h.trace!.done!;
      await fx.sim.until(() => ad.cmdBusy.value === 0);
      fell = fx.sim.cycle;
      // A load issued now completes accessCycles later with the response.
      const r = await d.load(2, 0, 8);
      expect(r.status).toBe(DeviceStatus.OK);
      expect(r.cycles).toBe(t.accessCycles);
      await fx.sim.tick(t.msiLatency + 2);
    });
    expect(fell).toBe(td + t.commandCycles);
    expect(msi).toEqual([td + t.commandCycles + t.msiLatency]);
  });
});

describe('signalling', () => {
  it('sets dmbe_mask (MSB-0 by default), the DMB bit and s; merges MSIs until s is cleared', async () => {
    const fx = new IsmFixture(2);
    const tok = await twoVms(fx);
    const m = fx.vms[1].memory;
    await fx.run(() => fx.moveChunk(0, tok, 0, true, 0, Uint8Array.of(1)));
    await fx.idle(8);
    expect(m.readU8(SBA_AT)).toBe(0x80);
    expect(m.readU8(SBA_AT + 4 + (IDX >> 3))).toBe(0x80 >> (IDX & 7));
    expect(m.readU16(SBA_AT + 256 + 2 * IDX)).toBe(0x8000);
    await fx.run(() => fx.moveChunk(0, tok, 3, true, 0, Uint8Array.of(2)));
    await fx.idle(8);
    expect(m.readU16(SBA_AT + 256 + 2 * IDX)).toBe(0x9000);
    expect(fx.vms[1].adapter.msiPulses).toBe(1); // s was still set: merged
    m.writeU8(SBA_AT, 0); // handler clears s
    await fx.run(() => fx.moveChunk(0, tok, 0, true, 0, Uint8Array.of(3)));
    await fx.idle(8);
    expect(fx.vms[1].adapter.msiPulses).toBe(2);
    // No sf: data only.
    await fx.run(() => fx.moveChunk(0, tok, 0, false, 0, Uint8Array.of(4)));
    await fx.idle(8);
    expect(fx.vms[1].adapter.signalsIn.value).toBe(3);
  });

  it('config: lsb0 mask order and an MSI for every signal', async () => {
    const fx = new IsmFixture(2, { config: { dmbeMaskOrder: 'lsb0', msiEverySignal: true } });
    const tok = await twoVms(fx);
    await fx.run(async () => {
      await fx.moveChunk(0, tok, 0, true, 0, Uint8Array.of(1));
      await fx.moveChunk(0, tok, 2, true, 0, Uint8Array.of(1));
    });
    await fx.idle(8);
    expect(fx.vms[1].memory.readU16(SBA_AT + 256 + 2 * IDX)).toBe(0x0005);
    expect(fx.vms[1].adapter.msiPulses).toBe(2);
  });

  it('no IEQ registered: SBA bits are set but no MSI; no SBA: data only', async () => {
    const fx = new IsmFixture(2);
    const tok = await twoVms(fx);
    await fx.run(() => fx.command(1, 'UNREG_IEQ'));
    await fx.run(() => fx.moveChunk(0, tok, 0, true, 0, Uint8Array.of(1)));
    await fx.idle(8);
    expect(fx.vms[1].memory.readU8(SBA_AT)).toBe(0x80);
    expect(fx.vms[1].adapter.msiPulses).toBe(0);
    fx.vms[1].memory.fill(SBA_AT, 4096, 0);
    await fx.run(() => fx.command(1, 'UNREG_SBA'));
    const r = await fx.run(() => fx.moveChunk(0, tok, 0, true, 5, Uint8Array.of(9)));
    expect(r.status).toBe(DeviceStatus.OK);
    expect(fx.vms[1].memory.readU8(DMB + 5)).toBe(9);
    expect(fx.vms[1].memory.readU8(SBA_AT)).toBe(0);
    expect(fx.vms[1].adapter.droppedSignals).toBe(1);
  });

  it('64 KiB in 4 KiB chunks, signal on the last: bytes land, one MSI', async () => {
    const fx = new IsmFixture(2);
    const tok = await twoVms(fx);
    const data = patternBytes(65536, 42);
    const r = await fx.run(() => fx.move(0, tok, 0, true, 0, data));
    await fx.idle(8);
    expect(r?.status).toBe(DeviceStatus.OK);
    expect(fx.vms[1].memory.read(DMB, 65536)).toEqual(data);
    expect(fx.vms[1].adapter.msiPulses).toBe(1);
    expect(fx.vms[1].adapter.signalsIn.value).toBe(1);
  });
});

describe('move validation (status codes at the block header; nothing written)', () => {
  it('each rejection reason has its own code and writes nothing', async () => {
    const fx = new IsmFixture(3);
    const tok = await twoVms(fx, 16384, { vlan_valid: 0 });
    const vlanTok = await fx.run(async () => {
      await fx.command(0, 'ADD_VLAN_ID', { vlan_id: 9 });
      return (await fx.command(1, 'REG_DMB', { dmb: dmbSlot(1), dmb_len: 4096, sba_idx: 41, vlan_valid: 1, vlan_id: 8, rgid: fx.vms[0].adapter.gid })).fields
        .dmb_tok;
    });
    const before = fx.vms.map((v) => v.memory.snapshot());
    const cases: [number, bigint, number][] = [
      [0, moveOffset(0x7777n << 32n, 0, false, 0), IsmStatus.MOVE_UNKNOWN_TOKEN],
      [0, moveOffset(tok | (1n << 48n), 0, false, 0), IsmStatus.MOVE_UNKNOWN_TOKEN],
      [2, moveOffset(tok, 0, false, 0), IsmStatus.MOVE_GID_MISMATCH],
      [1, moveOffset(tok, 0, false, 0), IsmStatus.MOVE_GID_MISMATCH],
      [0, moveOffset(vlanTok, 0, false, 0), IsmStatus.MOVE_VLAN_MISMATCH],
      [0, moveOffset(tok, 16, true, 0), IsmStatus.MOVE_BAD_DMBE_INDEX],
      [0, moveOffset(tok, 0, false, 16384 - 7), IsmStatus.MOVE_OUT_OF_BOUNDS],
      [0, moveOffset(tok, 0, false, 1 << 20), IsmStatus.MOVE_OUT_OF_BOUNDS],
    ];
    for (const [vm, pci, code] of cases) {
      const r = await fx.run(() => fx.vms[vm].driver.storeBlock(0, pci, new Uint8Array(8).fill(0xab)));
      expect(r, `0x${pci.toString(16)}`).toMatchObject({ status: DeviceStatus.ERROR, code });
      expect(r.cycles).toBe(fx.timing.moveLookupCycles);
    }
    await fx.idle(8);
    fx.vms.forEach((v, i) => expect(v.memory.snapshot(), `vm${i}`).toEqual(before[i]));
    // With the VLAN added the writer gets through; idx 16 without sf is fine.
    await fx.run(() => fx.command(0, 'ADD_VLAN_ID', { vlan_id: 8 }));
    expect((await fx.run(() => fx.moveChunk(0, vlanTok, 0, false, 0, Uint8Array.of(1)))).status).toBe(DeviceStatus.OK);
    expect((await fx.run(() => fx.moveChunk(0, tok, 16, false, 16383, Uint8Array.of(1)))).status).toBe(DeviceStatus.OK);
  });

  it('a DMB unregistered while a move is in flight: TARGET_NOT_READY on done, nothing written', async () => {
    const fx = new IsmFixture(2);
    const tok = await twoVms(fx);
    const slow = new DevicePortDriver(fx.sim, fx.vms[0].port, { beatGap: 3 });
    let result: Awaited<ReturnType<DevicePortDriver['storeBlock']>> | undefined;
    fx.sim.process('mover', async () => {
      result = await slow.storeBlock(0, moveOffset(tok, 0, true, 0), new Uint8Array(512).fill(0x5a));
    });
    fx.sim.process('owner', async () => {
      await fx.sim.tick(20);
      expect((await fx.command(1, 'UNREG_DMB', { dmb_tok: tok })).ret).toBe(IsmRc.OK);
    });
    await fx.sim.run();
    expect(result).toMatchObject({ status: DeviceStatus.ERROR, code: IsmStatus.MOVE_TARGET_NOT_READY });
    expect(fx.vms[1].memory.read(DMB, 512)).toEqual(new Uint8Array(512));
  });

  it('function-level reset drops SBA, IEQ, VLANs and DMBs; the writer gets the BUF event', async () => {
    const fx = new IsmFixture(2);
    const tok = await twoVms(fx);
    await fx.run(async () => {
      await fx.command(0, 'REG_SBA', { sba: SBA_AT });
      await fx.command(0, 'REG_IEQ', { ieq: IEQ_AT, len: 512 });
      await fx.command(1, 'ADD_VLAN_ID', { vlan_id: 3 });
      await fx.vms[1].driver.reset();
    });
    await fx.idle(8);
    const a = fx.vms[1].adapter;
    expect([a.sbaAddress, a.ieqAddress, a.vlanIds.length, fx.net.dmbTable.size]).toEqual([null, null, 0, 0]);
    expect(fx.vms[0].memory.readU64(IEQ_AT + 32 + 8)).toBe(tok);
    expect(fx.vms[0].adapter.msiPulses).toBe(1);
    const r = await fx.run(() => fx.moveChunk(0, tok, 0, false, 0, Uint8Array.of(1)));
    expect(r.code).toBe(IsmStatus.MOVE_UNKNOWN_TOKEN);
  });
});
