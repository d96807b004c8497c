/** The store-block engine's RTL assertions stop the simulation on illegal blocks (driven directly, bypassing the checks). */
import { describe, expect, it } from 'vitest';
import { Component, ProcessError, SimAssertionError, Simulator } from '../../rtl/hdl/index.ts';
import { DevicePort } from '../../rtl/zpci/device-port.ts';
import { StoreBlockEngine } from '../../rtl/zpci/store-block-engine.ts';
import { ScratchDevice } from '../../rtl/zpci/scratch-device.ts';
import { DEFAULT_TIMING } from '../../rtl/timing.ts';
import { GuestMemory } from '../../models/host/guest-memory.ts';

async function driveBlock(maxstbl: number, offset: bigint, len: number): Promise<unknown> {
  const sim = new Simulator();
  const top = new Component(sim, 'vm0');
  const port = new DevicePort(sim, 'dev_port', top);
  const sbe = new StoreBlockEngine(sim, 'sbe', top, { device: port, memory: new GuestMemory(1 << 16), maxstbl, timing: DEFAULT_TIMING.zpci });
  new ScratchDevice(sim, 'dev', top, port, { barSizes: [1n << 16n, 0n, 0n, 0n, 0n, 0n] });
  sim.process('drive', async () => {
    sbe.start.set(1);
    sbe.offset.set(offset);
    sbe.len.set(len);
    sbe.gaddr.set(0n);
    await sim.tick();
    sbe.start.set(0);
    await sim.until(() => sbe.cplValid.value === 1, { timeout: 10_000 });
  });
  try {
    await sim.run();
    return undefined;
  } catch (e) {
    return e instanceof ProcessError ? e.cause ?? e : e;
  } finally {
    sim.dispose();
  }
}

describe('store-block engine assertions', () => {
  it('a legal block completes', async () => {
    expect(await driveBlock(128, 0x80n, 128)).toBeUndefined();
  });
  it('a block longer than maxstbl stops the simulation naming cycle and signals', async () => {
    const e = await driveBlock(128, 0n, 136);
    expect(e).toBeInstanceOf(SimAssertionError);
    const err = e as SimAssertionError;
    expect(err.message).toMatch(/maxstbl/);
    expect(err.message).toMatch(/vm0\.sbe\.len/);
    expect(err.message).toMatch(/cycle 1/);
  });
  it('a block crossing 4 KiB on the PCI side stops the simulation', async () => {
    const e = await driveBlock(4096, 0xff9n, 8);
    expect(e).toBeInstanceOf(SimAssertionError);
    expect((e as Error).message).toMatch(/4 KiB/);
    expect((e as Error).message).toMatch(/vm0\.sbe\.offset/);
  });
  it('an empty block stops the simulation', async () => {
    expect(await driveBlock(4096, 0n, 0)).toBeInstanceOf(SimAssertionError);
  });
});
