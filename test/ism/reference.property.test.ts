/**
 * Model-based property test: random sequences of registrations, moves, unregistrations, events,
 * VLAN changes, interrupt acknowledgements and resets across 2–4 VMs, run on the RTL (adapters +
 * network + guest memories, driven through DevicePorts) and on the reference model. After every
 * step: same return codes/statuses, every touched byte of every VM's memory equal (DMBs, SBA
 * bits/masks, IEQ entries with time masked) and the same number of MSIs.
 * Seed: printed; replay with FC_SEED=<seed> (and ISM_PATH from the failure report).
 */
import { describe, expect, it } from 'vitest';
import { propertySeed } from '../support/seed.ts';
import fc from 'fast-check';
import { IsmFixture } from '../support/ism-fixture.ts';
import { IsmNetworkModel } from '../../models/ref/ism-network-model.ts';
import { moveOffset } from '../../rtl/ism/commands.ts';
import { DeviceStatus } from '../../rtl/zpci/device-port.ts';
import { dmbSlot, expectSameMemory, IEQ_AT, patternBytes, SBA_AT } from './support.ts';

interface Real {
  fx: IsmFixture;
}
interface Model {
  ref: IsmNetworkModel;
  n: number;
}
type Cmd = fc.AsyncCommand<Model, Real>;

const MEM = 16 << 20;
const VLANS = [5, 7];
const SIZES = [256, 4096, 16384, 65536, 1 << 20];
/** Outcome counts, to show the runs exercise more than rejections. */
const stats: Record<string, number> = {};
const count = (k: string): void => void (stats[k] = (stats[k] ?? 0) + 1);

async function settleAndCompare(m: Model, r: Real, what: string): Promise<void> {
  await r.fx.idle(r.fx.timing.msiLatency + 1);
  for (let i = 0; i < m.n; i++) {
    expectSameMemory(r.fx.vms[i].memory, m.ref.vms[i].memory, `${what}: vm${i}`);
    expect(r.fx.vms[i].adapter.msiPulses, `${what}: vm${i} MSIs`).toBe(m.ref.vms[i].msi);
  }
  expect([...r.fx.net.dmbTable.keys()].sort()).toEqual([...m.ref.dmbs.keys()].sort());
}

class CommandOp implements Cmd {
  constructor(
    readonly label: string,
    readonly vm: number,
    readonly build: (m: Model) => [Parameters<IsmFixture['command']>[1], Record<string, bigint | number>],
  ) {}
  check(m: Model): boolean {
    return this.vm < m.n;
  }
  async run(m: Model, r: Real): Promise<void> {
    const [name, fields] = this.build(m);
    const exp = m.ref.command(this.vm, name, fields);
    const got = await r.fx.run(() => r.fx.command(this.vm, name, fields));
    count(`${name}:${exp.ret === 0 ? 'ok' : 'rc' + exp.ret.toString(16)}`);
    expect(got.ret, `${this.toString()} ret`).toBe(exp.ret);
    for (const [k, v] of Object.entries(exp.fields)) expect(got.fields[k], `${this.toString()} ${k}`).toBe(v);
    await settleAndCompare(m, r, this.toString());
  }
  toString(): string {
    return `vm${this.vm}.${this.label}`;
  }
}

class MoveOp implements Cmd {
  constructor(
    readonly vm: number,
    readonly asWriter: boolean,
    readonly pick: number,
    readonly randomToken: number | null,
    readonly offsetFrac: number,
    readonly len: number,
    readonly sf: boolean,
    readonly idx: number,
    readonly seed: number,
  ) {}
  check(m: Model): boolean {
    return this.vm < m.n;
  }
  async run(m: Model, r: Real): Promise<void> {
    const dmbs = [...m.ref.dmbs.values()];
    const target = dmbs.length > 0 ? dmbs[this.pick % dmbs.length] : undefined;
    const token = this.randomToken !== null || !target ? BigInt(this.randomToken ?? 1) << 32n : target.token;
    // Mostly issue the move from the DMB's registered writer, so accepted moves are common.
    const writer = this.asWriter && target ? m.ref.vms.findIndex((v) => v.gid === target.rgid) : -1;
    const vm = writer >= 0 ? writer : this.vm;
    const span = target ? target.length : 4096;
    const offset = Math.min(Math.floor(this.offsetFrac * (span + 64)), (1 << 20) - 1);
    const bytes = patternBytes(this.len, this.seed);
    const pci = moveOffset(token, this.idx, this.sf, offset);
    const exp = m.ref.move(vm, pci, bytes);
    const got = await r.fx.run(() => r.fx.vms[vm].driver.storeBlock(0, pci, bytes));
    count(`move:${exp === 0 ? (this.sf ? 'ok+sf' : 'ok') : exp.toString(16)}`);
    expect(got.status, `${this.toString()} status`).toBe(exp === 0 ? DeviceStatus.OK : DeviceStatus.ERROR);
    expect(got.code, `${this.toString()} code`).toBe(exp);
    await settleAndCompare(m, r, this.toString());
  }
  toString(): string {
    const tok = this.randomToken !== null ? `tok#${this.randomToken}` : `dmb[${this.pick}]`;
    return `vm${this.vm}${this.asWriter ? '(writer)' : ''}.move(${tok}, off=${this.offsetFrac.toFixed(3)}, len=${this.len}, sf=${this.sf}, idx=${this.idx})`;
  }
}

class AckOp implements Cmd {
  constructor(readonly vm: number) {}
  check(m: Model): boolean {
    return this.vm < m.n;
  }
  async run(m: Model, r: Real): Promise<void> {
    // Software interrupt handler, abridged: clear the whole SBA in both worlds.
    r.fx.vms[this.vm].memory.fill(SBA_AT, 4096, 0);
    m.ref.vms[this.vm].memory.fill(SBA_AT, 4096, 0);
    await settleAndCompare(m, r, this.toString());
  }
  toString(): string {
    return `vm${this.vm}.ack()`;
  }
}

class ResetOp implements Cmd {
  constructor(readonly vm: number) {}
  check(m: Model): boolean {
    return this.vm < m.n;
  }
  async run(m: Model, r: Real): Promise<void> {
    m.ref.reset(this.vm);
    await r.fx.run(() => r.fx.vms[this.vm].driver.reset());
    await settleAndCompare(m, r, this.toString());
  }
  toString(): string {
    return `vm${this.vm}.reset()`;
  }
}

const vmArb = fc.integer({ min: 0, max: 3 });

function commandArbs(): fc.Arbitrary<Cmd>[] {
  return [
    vmArb.map((vm) => new CommandOp('REG_SBA', vm, () => ['REG_SBA', { sba: SBA_AT }])),
    vmArb.map((vm) => new CommandOp('REG_IEQ', vm, () => ['REG_IEQ', { ieq: IEQ_AT, len: 512 }])),
    vmArb.map((vm) => new CommandOp('UNREG_SBA', vm, () => ['UNREG_SBA', {}])),
    vmArb.map((vm) => new CommandOp('UNREG_IEQ', vm, () => ['UNREG_IEQ', {}])),
    fc
      .record({ vm: vmArb, add: fc.boolean(), v: fc.constantFrom(...VLANS) })
      .map(({ vm, add, v }) => new CommandOp(`${add ? 'ADD' : 'DEL'}_VLAN_ID(${v})`, vm, () => [add ? 'ADD_VLAN_ID' : 'DEL_VLAN_ID', { vlan_id: v }])),
    fc
      .record({
        vm: vmArb,
        writer: vmArb,
        slot: fc.integer({ min: 0, max: 7 }),
        size: fc.constantFrom(...SIZES),
        idx: fc.integer({ min: 32, max: 40 }),
        vlan: fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary: fc.constantFrom(...VLANS), weight: 1 }),
      })
      .map(
        ({ vm, writer, slot, size, idx, vlan }) =>
          new CommandOp(`REG_DMB(slot${slot}, ${size}, idx${idx}, writer vm${writer}, vlan ${vlan})`, vm, (m) => [
            'REG_DMB',
            {
              dmb: dmbSlot(slot),
              dmb_len: size,
              sba_idx: idx,
              vlan_valid: vlan === null ? 0 : 1,
              vlan_id: vlan ?? 0,
              rgid: m.ref.vms[writer % m.n].gid,
            },
          ]),
      ),
    fc.record({ vm: vmArb, pick: fc.nat(), bogus: fc.boolean() }).map(
      ({ vm, pick, bogus }) =>
        new CommandOp(`UNREG_DMB(${bogus ? 'bogus' : `[${pick}]`})`, vm, (m) => {
          const mine = m.ref.owned(vm);
          const tok = bogus || mine.length === 0 ? BigInt(0x7000 + (pick % 16)) << 32n : mine[pick % mine.length].token;
          return ['UNREG_DMB', { dmb_tok: tok }];
        }),
    ),
    fc.record({ vm: vmArb, to: vmArb, trig: fc.boolean(), code: fc.integer({ min: 0, max: 0xff }), info: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }).map(
      ({ vm, to, trig, code, info }) =>
        new CommandOp(`SIGNAL_IEQ(vm${to}, ${trig}, ${code})`, vm, (m) => [
          'SIGNAL_IEQ',
          { rgid: m.ref.vms[to % m.n].gid, trigger_irq: trig ? 1 : 0, event_code: code, info },
        ]),
    ),
    fc
      .record({
        vm: vmArb,
        pick: fc.nat(),
        asWriter: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }),
        randomToken: fc.oneof({ arbitrary: fc.constant(null), weight: 5 }, { arbitrary: fc.integer({ min: 0, max: 0xffff }), weight: 1 }),
        offsetFrac: fc.double({ min: 0, max: 1, noNaN: true }),
        len: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 4096 })),
        sf: fc.boolean(),
        idx: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 17 })),
        seed: fc.nat(),
      })
      .map((x) => new MoveOp(x.vm, x.asWriter, x.pick, x.randomToken, x.offsetFrac, x.len, x.sf, x.idx, x.seed)),
    vmArb.map((vm) => new AckOp(vm)),
    vmArb.map((vm) => new ResetOp(vm)),
    vmArb.map((vm) => new CommandOp('QUERY_INFO', vm, () => ['QUERY_INFO', {}])),
    fc
      .record({ vm: vmArb, to: vmArb, vlan: fc.option(fc.constantFrom(...VLANS)) })
      .map(
        ({ vm, to, vlan }) =>
          new CommandOp(`QUERY_RGID(vm${to}, vlan ${vlan})`, vm, (m) => [
            'QUERY_RGID',
            { rgid: m.ref.vms[to % m.n].gid, vlan_valid: vlan === null ? 0 : 1, vlan_id: vlan ?? 0 },
          ]),
      ),
  ];
}

describe('ISM network vs reference model', () => {
  it('random registrations, moves, unregistrations and events across 2–4 VMs', async () => {
    const seed = propertySeed(0x15e1, 'ISM network vs reference');
    const numRuns = Number(process.env.ISM_RUNS ?? 200);
    // Weight: moves and DMB registrations appear more often.
    const arbs = commandArbs();
    const weighted = [...arbs, arbs[4], arbs[5], arbs[5], arbs[8], arbs[8], arbs[8], arbs[8], arbs[8], arbs[8], arbs[0], arbs[1]];
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 4 }), fc.commands(weighted, { maxCommands: 60, size: 'max' }), async (n, cmds) => {
        const fx = new IsmFixture(n, { memorySize: MEM });
        const ref = new IsmNetworkModel(n, { memorySize: MEM });
        try {
          await fc.asyncModelRun(() => ({ model: { ref, n }, real: { fx } }), cmds);
        } finally {
          fx.sim.dispose();
        }
      }),
      { seed, numRuns, path: process.env.ISM_PATH, endOnFailure: false },
    );
    console.log('outcomes:', JSON.stringify(stats));
    expect(stats['move:ok+sf'] ?? 0).toBeGreaterThan(0);
  });
});
