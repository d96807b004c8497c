import { describe, expect, it } from 'vitest';
import { onIsmMachine } from '../support/ism-machine-run.ts';
import { IsmRc } from '../../rtl/ism/commands.ts';
import { DibsCore, MAX_DIBS_CLIENTS, type DibsClient, type DibsDevice } from '../../models/ism/dibs.ts';
import { IsmDriver, ISM_RESERVED_VLANID } from '../../models/ism/ism-driver.ts';
import { DibsEventSubtype, DibsEventType, IsmEventCode, IsmEventType, translateIsmEvent, type DibsEvent } from '../../models/ism/ism-events.ts';
import { KernelIsmAccess } from '../../models/ism/kernel-access.ts';
import { Errno, LinuxError } from '../../models/linux/errno.ts';
import { FaultyAccess } from './faulty-access.ts';

/** A client that writes down what the client layer told it. */
function recordingClient(name: string): DibsClient & { log: string[]; events: DibsEvent[] } {
  const log: string[] = [];
  const events: DibsEvent[] = [];
  return {
    name,
    log,
    events,
    addDevice: () => void log.push('add'),
    removeDevice: () => void log.push('remove'),
    handleIrq: (_d: DibsDevice, idx: number, mask: number) => void log.push(`irq ${idx} ${mask.toString(16)}`),
    handleEvent: (_d: DibsDevice, e: DibsEvent) => void events.push(e),
  };
}

async function errnoOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    if (e instanceof LinuxError) return e.errno;
    throw e;
  }
  return 0;
}

describe('typed operations for every command Linux uses (issue 11)', () => {
  it('typed QUERY_RGID, VLAN, SET/RESET_VLAN and the V2 probe were missing: each returns the device ret and changes what Linux expects', async () => {
    await onIsmMachine(2, async (m, sim) => {
      const peer = new IsmDriver(sim, new KernelIsmAccess(m.vms[1].zdev));
      await peer.probe();
      const access = new FaultyAccess(new KernelIsmAccess(m.vms[0].zdev));
      const driver = new IsmDriver(sim, access);
      await driver.probe();
      const ism = m.vms[0].vm.ism;
      // SMC's cantalk: a GID on the network answers 0, an unknown one does not.
      expect(await driver.queryRemoteGid(peer.gid)).toBe(IsmRc.OK);
      expect(await driver.queryRemoteGid(0x1234n)).toBe(IsmRc.GID_UNREACHABLE);
      expect(await driver.addVlanId(5)).toBe(IsmRc.OK);
      expect(ism.hasVlan(5)).toBe(true);
      // With a VLAN, both ends must have it.
      expect(await driver.queryRemoteGid(peer.gid, 5)).toBe(IsmRc.GID_UNREACHABLE);
      expect(await peer.addVlanId(5)).toBe(IsmRc.OK);
      expect(await driver.queryRemoteGid(peer.gid, 5)).toBe(IsmRc.OK);
      expect(await driver.delVlanId(5)).toBe(IsmRc.OK);
      expect(await driver.delVlanId(5)).toBe(IsmRc.VLAN_NOT_FOUND);
      expect(await driver.addVlanId(0x1000)).toBe(IsmRc.BAD_VLAN_ID);
      expect(await driver.setVlanRequired()).toBe(IsmRc.OK);
      expect(await driver.resetVlanRequired()).toBe(IsmRc.OK);
      expect(await driver.probeV2()).toBe(true);
      expect(ism.hasVlan(ISM_RESERVED_VLANID)).toBe(true);
      access.doorbells.length = 0;
      await driver.remove();
      // ism_dev_exit: the reserved id goes before the IEQ and the SBA.
      expect(access.doorbells).toEqual(['DEL_VLAN_ID', 'UNREG_IEQ', 'UNREG_SBA']);
      expect(ism.hasVlan(ISM_RESERVED_VLANID)).toBe(false);
    });
  });

  it('the V2 probe on a device without SMC-Dv2 answers false and remove sends no DEL_VLAN_ID', async () => {
    await onIsmMachine(
      1,
      async (m, sim) => {
        const access = new FaultyAccess(new KernelIsmAccess(m.vms[0].zdev));
        const driver = new IsmDriver(sim, access);
        await driver.probe();
        expect(await driver.probeV2()).toBe(false);
        access.doorbells.length = 0;
        await driver.remove();
        expect(access.doorbells).toEqual(['UNREG_IEQ', 'UNREG_SBA']);
      },
      { ism: { supportsV2: false } },
    );
  });
});

describe('client layer (ism_client / DIBS; issue 11)', () => {
  it('DMB signals reached no client: each goes to the client that registered the DMB, events to every client, add/remove device told', async () => {
    await onIsmMachine(2, async (m, sim) => {
      const core = new DibsCore();
      const early = recordingClient('early');
      const late = recordingClient('late');
      expect(core.registerClient(early)).toBe(0);
      const writer = new IsmDriver(sim, new KernelIsmAccess(m.vms[0].zdev));
      await writer.probe();
      const owner = new IsmDriver(sim, new KernelIsmAccess(m.vms[1].zdev));
      await owner.probe();
      core.addDevice(owner);
      expect(early.log).toEqual(['add']);
      expect(core.registerClient(late)).toBe(1);
      expect(late.log).toEqual(['add']);
      const forEarly = await owner.registerDmb({ length: 4096, rgid: writer.gid, clientId: core.idOf(early) });
      const forLate = await owner.registerDmb({ length: 4096, rgid: writer.gid, clientId: core.idOf(late) });
      expect(await writer.move(forEarly.token, 0, true, 0, new Uint8Array(16))).toBe(0);
      await sim.tick(50);
      expect(await writer.move(forLate.token, 0, true, 0, new Uint8Array(16))).toBe(0);
      await sim.tick(50);
      expect(early.log).toEqual(['add', `irq ${forEarly.sbaIndex} 8000`]);
      expect(late.log).toEqual(['add', `irq ${forLate.sbaIndex} 8000`]);
      // A software event reaches both clients, translated.
      expect(await writer.signalEvent(owner.gid, 0x83, 0x42n)).toBe(IsmRc.OK);
      await sim.tick(50);
      for (const c of [early, late]) {
        expect(c.events.map((e) => [e.type, e.subtype, e.gid, e.data])).toEqual([[DibsEventType.SW, 0x83, writer.gid, 0x42n]]);
      }
      // Unregistering a client that still owns DMBs is refused; after its DMB is gone it works.
      expect(await errnoOf(Promise.resolve().then(() => core.unregisterClient(early)))).toBe(Errno.EBUSY);
      await owner.unregisterDmb(forEarly);
      core.unregisterClient(early);
      expect(early.log).toEqual(['add', `irq ${forEarly.sbaIndex} 8000`, 'remove']);
      // A later signal into the DMB of the remaining client still routes; the departed one hears nothing.
      expect(await writer.move(forLate.token, 0, true, 0, new Uint8Array(8))).toBe(0);
      await sim.tick(50);
      expect(late.log.filter((l) => l.startsWith('irq'))).toHaveLength(2);
      expect(early.log).toHaveLength(3);
      await owner.unregisterDmb(forLate);
      core.removeDevice(owner);
      expect(late.log.at(-1)).toBe('remove');
    });
  });

  it('at most MAX_DIBS_CLIENTS clients: the next one gets ENOSPC, a freed slot is reused', () => {
    const core = new DibsCore();
    const clients = Array.from({ length: MAX_DIBS_CLIENTS }, (_, i) => recordingClient(`c${i}`));
    clients.forEach((c, i) => expect(core.registerClient(c)).toBe(i));
    expect(() => core.registerClient(recordingClient('one too many'))).toThrow(/ENOSPC/);
    core.unregisterClient(clients[3]);
    expect(core.registerClient(recordingClient('reuse'))).toBe(3);
  });
});

describe('event translation as ism_handle_event (issue 11 item 6)', () => {
  const entry = (type: number, code: number) => ({ type, code, tok: 0xabcdn, time: 77n, info: 9n });

  it('maps the DEV and BUF codes of ism.h; codes without a generic meaning pass as OTHER; tok is a GID or a token by type', () => {
    expect(translateIsmEvent(entry(IsmEventType.DEV, IsmEventCode.DEV_GID_ERR_STATE))).toEqual({
      type: DibsEventType.DEV,
      subtype: DibsEventSubtype.DEV_ERR_STATE,
      gid: 0xabcdn,
      bufferToken: 0n,
      time: 77n,
      data: 9n,
    });
    expect(translateIsmEvent(entry(IsmEventType.DEV, IsmEventCode.DEV_GID_DISABLED)).subtype).toBe(DibsEventSubtype.DEV_DISABLED);
    expect(translateIsmEvent(entry(IsmEventType.BUF, IsmEventCode.BUF_DMB_UNREGISTERED))).toMatchObject({
      type: DibsEventType.BUF,
      subtype: DibsEventSubtype.BUF_UNREGISTERED,
      gid: 0n,
      bufferToken: 0xabcdn,
    });
    for (const code of [2, 3, 5, 6, 8]) {
      expect(translateIsmEvent(entry(IsmEventType.BUF, code))).toMatchObject({ type: DibsEventType.BUF, subtype: DibsEventSubtype.OTHER, bufferToken: 0xabcdn });
    }
    expect(translateIsmEvent(entry(IsmEventType.SWR, 0x80))).toMatchObject({ type: DibsEventType.SW, subtype: 0x80, gid: 0xabcdn });
    // An unknown type keeps the code mapping of the non-software types.
    expect(translateIsmEvent(entry(9, 4)).subtype).toBe(DibsEventSubtype.BUF_UNREGISTERED);
    expect(translateIsmEvent(entry(9, 0x55))).toMatchObject({ type: DibsEventType.OTHER, subtype: DibsEventSubtype.OTHER, gid: 0n, bufferToken: 0n });
  });

  it('raw IEQ entries reached clients untranslated: the writer of an unregistered DMB gets a BUF_UNREGISTERED event with the token', async () => {
    await onIsmMachine(2, async (m, sim) => {
      const writer = new IsmDriver(sim, new KernelIsmAccess(m.vms[0].zdev));
      await writer.probe();
      const owner = new IsmDriver(sim, new KernelIsmAccess(m.vms[1].zdev));
      await owner.probe();
      const seen: DibsEvent[] = [];
      writer.dibsEvents$.subscribe((e) => seen.push(e));
      const dmb = await owner.registerDmb({ length: 4096, rgid: writer.gid });
      await owner.unregisterDmb(dmb);
      await sim.tick(50);
      expect(seen.map((e) => [e.type, e.subtype, e.bufferToken, e.gid])).toEqual([[DibsEventType.BUF, DibsEventSubtype.BUF_UNREGISTERED, dmb.token, 0n]]);
    });
  });
});
