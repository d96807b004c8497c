/** What the device posts to the IEQ and when it interrupts: the `e` edge rule, peer error and disable events. */
import { describe, expect, it } from 'vitest';
import { IsmFixture } from '../support/ism-fixture.ts';
import { decodeIeqEntry, IsmEventCode, IsmEventType, IsmStatus, type IeqEntry } from '../../rtl/ism/commands.ts';
import { FunctionState } from '../../rtl/zpci/codes.ts';
import { DeviceStatus } from '../../rtl/zpci/device-port.ts';
import { dmbSlot, IEQ_AT, SBA_AT } from './support.ts';

async function bringUp(fx: IsmFixture, vm: number): Promise<void> {
  expect((await fx.command(vm, 'REG_SBA', { sba: SBA_AT })).ret).toBe(0);
  expect((await fx.command(vm, 'REG_IEQ', { ieq: IEQ_AT, len: 512 })).ret).toBe(0);
}

/** ism_handle_irq's event half: clear `e`, then drain entries up to header.idx (driver index from -1). */
function drain(fx: IsmFixture, vm: number, from: number): { events: IeqEntry[]; next: number } {
  const m = fx.vms[vm].memory;
  m.writeU8(SBA_AT, m.readU8(SBA_AT) & ~0x40);
  const events: IeqEntry[] = [];
  let i = from;
  while (i + 1 !== Number(m.readU64(IEQ_AT))) {
    i = (i + 1) % 15;
    events.push(decodeIeqEntry(m.read(IEQ_AT + 32 + 32 * i, 32)));
  }
  return { events, next: i };
}

const brief = (e: IeqEntry): [number, number, bigint] => [e.type, e.code, e.tok];

describe('the e bit and the MSI (issue 11 item 3, adapter side)', () => {
  // Decision: an event posted while `e` is still set raises no MSI. ism_handle_irq (ism_drv.c)
  // clears `e` *before* draining the IEQ up to header.idx, so the run already owed for the 0→1
  // edge takes every entry written before its drain, and an entry written after the clear sets
  // `e` 0→1 again and interrupts. ism_dev_init requests the IRQ before REG_SBA, so that first
  // edge cannot go unheard; a driver that subscribes late loses it (models/ism: fixed there).
  it('an event posted while e is set adds its entry but no MSI; the pending handler run drains both; after the clear the next event interrupts', async () => {
    const fx = new IsmFixture(2);
    const target = fx.vms[1].adapter.gid;
    await fx.run(async () => {
      await bringUp(fx, 1);
      await fx.command(0, 'SIGNAL_IEQ', { rgid: target, trigger_irq: 1, event_code: 0x80 });
      await fx.command(0, 'SIGNAL_IEQ', { rgid: target, trigger_irq: 1, event_code: 0x81 });
      await fx.sim.tick(fx.timing.msiLatency + 1);
    });
    expect(fx.vms[1].adapter.msiPulses).toBe(1);
    const first = drain(fx, 1, -1);
    expect(first.events.map((e) => e.code)).toEqual([0x80, 0x81]);
    await fx.run(async () => {
      await fx.command(0, 'SIGNAL_IEQ', { rgid: target, trigger_irq: 1, event_code: 0x82 });
      await fx.sim.tick(fx.timing.msiLatency + 1);
    });
    expect(fx.vms[1].adapter.msiPulses).toBe(2);
    expect(drain(fx, 1, first.next).events.map((e) => e.code)).toEqual([0x82]);
  });
});

/** vm0 owns DMB A written by vm1; vm1 owns DMB B written by vm0; vm2 is on the network, unrelated. */
async function pairWithBystander(fx: IsmFixture): Promise<{ a: bigint; b: bigint }> {
  return fx.run(async () => {
    for (const vm of [0, 1, 2]) await bringUp(fx, vm);
    const gid = (vm: number): bigint => fx.vms[vm].adapter.gid;
    const a = (await fx.command(0, 'REG_DMB', { dmb: dmbSlot(0), dmb_len: 4096, sba_idx: 32, rgid: gid(1) })).fields.dmb_tok;
    const b = (await fx.command(1, 'REG_DMB', { dmb: dmbSlot(0), dmb_len: 4096, sba_idx: 32, rgid: gid(0) })).fields.dmb_tok;
    await fx.command(2, 'REG_DMB', { dmb: dmbSlot(0), dmb_len: 4096, sba_idx: 32, rgid: gid(2) });
    return { a, b };
  });
}

describe('peer state events (issue 11 item 6: a function reset posted only BUF 4)', () => {
  it('a peer entering the error state: BUF 2 for the DMB its peer writes, BUF 3 for the DMB it writes, then DEV 1; with blockDmaInErrorState moves into its DMBs are refused', async () => {
    const fx = new IsmFixture(3, { config: { blockDmaInErrorState: true } });
    const { a, b } = await pairWithBystander(fx);
    const g0 = fx.vms[0].adapter.gid;
    fx.vms[0].fnState.set(FunctionState.ERROR);
    await fx.idle(fx.timing.msiLatency + 2);
    expect(drain(fx, 1, -1).events.map(brief)).toEqual([
      [IsmEventType.BUF, IsmEventCode.BUF_OWNING_ISM_DEV_IN_ERR_STATE, a],
      [IsmEventType.BUF, IsmEventCode.BUF_USING_ISM_DEV_IN_ERR_STATE, b],
      [IsmEventType.DEV, IsmEventCode.DEV_GID_ERR_STATE, g0],
    ]);
    expect(fx.vms[1].adapter.msiPulses).toBe(1);
    expect(drain(fx, 2, -1).events).toEqual([]);
    expect(fx.vms[0].memory.readU64(IEQ_AT)).toBe(0n); // the function in error posts nothing to itself
    // Its DMA is blocked: a move into A is refused before any byte, as the BUF 2 event announced.
    const r = await fx.run(() => fx.moveChunk(1, a, 0, false, 0, Uint8Array.of(7)));
    expect(r).toMatchObject({ status: DeviceStatus.ERROR, code: IsmStatus.MOVE_TARGET_NOT_READY });
    expect(fx.vms[0].memory.readU8(dmbSlot(0))).toBe(0);
    // ERROR → PERMANENT_ERROR tells nothing new; reset-error (→ ENABLED) lets moves in again.
    fx.vms[0].fnState.set(FunctionState.PERMANENT_ERROR);
    await fx.idle(4);
    expect(fx.vms[1].memory.readU64(IEQ_AT)).toBe(3n);
    fx.vms[0].fnState.set(FunctionState.ENABLED);
    const ok = await fx.run(() => fx.moveChunk(1, a, 0, false, 0, Uint8Array.of(7)));
    expect(ok.status).toBe(DeviceStatus.OK);
    expect(fx.vms[0].memory.readU8(dmbSlot(0))).toBe(7);
  });

  it('a peer disabled: BUF 8 for the DMB it writes, DEV 7, then with its reset BUF 4 for the DMB it owned', async () => {
    const fx = new IsmFixture(3);
    const { a, b } = await pairWithBystander(fx);
    const g0 = fx.vms[0].adapter.gid;
    fx.vms[0].fnState.set(FunctionState.DISABLED);
    await fx.run(async () => {
      await fx.sim.tick();
      await fx.vms[0].driver.reset();
      await fx.sim.tick(fx.timing.msiLatency + 2);
    });
    expect(drain(fx, 1, -1).events.map(brief)).toEqual([
      [IsmEventType.BUF, IsmEventCode.BUF_USING_ISM_DEV_DISABLED, b],
      [IsmEventType.DEV, IsmEventCode.DEV_GID_DISABLED, g0],
      [IsmEventType.BUF, IsmEventCode.BUF_DMB_UNREGISTERED, a],
    ]);
    expect(drain(fx, 2, -1).events).toEqual([]);
    expect(fx.net.dmbTable.has(a)).toBe(false);
    expect(fx.net.dmbTable.has(b)).toBe(true);
  });

  it('by default a function in the error state still receives moves (the events are the only notice)', async () => {
    const fx = new IsmFixture(3);
    const { a } = await pairWithBystander(fx);
    fx.vms[0].fnState.set(FunctionState.ERROR);
    await fx.idle(fx.timing.msiLatency + 2);
    expect(fx.vms[1].memory.readU64(IEQ_AT)).toBe(3n);
    const r = await fx.run(() => fx.moveChunk(1, a, 0, true, 0, Uint8Array.of(7)));
    expect(r.status).toBe(DeviceStatus.OK);
    expect(fx.vms[0].memory.readU8(dmbSlot(0))).toBe(7);
  });

  it('a function-level reset alone (function stays enabled) posts only BUF 4 to the writers of its DMBs', async () => {
    const fx = new IsmFixture(3);
    const { a } = await pairWithBystander(fx);
    await fx.run(async () => {
      await fx.vms[0].driver.reset();
      await fx.sim.tick(fx.timing.msiLatency + 2);
    });
    expect(drain(fx, 1, -1).events.map(brief)).toEqual([[IsmEventType.BUF, IsmEventCode.BUF_DMB_UNREGISTERED, a]]);
  });
});
