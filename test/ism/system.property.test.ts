/**
 * The whole stack against the ISM reference model: random registrations, moves and
 * unregistrations across 2–3 VMs, issued as real CPU instructions (the in-kernel ISM driver's
 * command sequence and ism_move split, through the zPCI function unit and store-block engine).
 * After every step: the same return code / move outcome as the reference, every DMB's bytes and
 * every SBA page equal to the reference's. Device-level variants live in reference.property.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Simulator } from '../../rtl/hdl/index.ts';
import { IsmMachine } from '../../models/host/machine.ts';
import { IsmDriver } from '../../models/ism/ism-driver.ts';
import { KernelIsmAccess } from '../../models/ism/kernel-access.ts';
import { IsmNetworkModel } from '../../models/ref/ism-network-model.ts';
import { moveOffset } from '../../rtl/ism/commands.ts';
import { propertySeed } from '../support/seed.ts';
import { patternBytes } from './support.ts';

const MEM = 16 << 20;
const SBA_AT = 0x10000;
const IEQ_AT = 0x11000;
/** DMB slots well away from the kernel's own pages (allocated from 1 MiB up). */
const dmbAddress = (slot: number): number => (8 << 20) + slot * (256 << 10);
const SIZES = [512, 4096, 12288, 65536];
/** Outcomes seen, to show the runs move data and not only get refused. */
const seen = { accepted: 0, refused: 0, signalled: 0 };

type Step =
  | { kind: 'reg'; owner: number; writer: number; slot: number; size: number; sbaIdx: number }
  | { kind: 'unreg'; owner: number; pick: number }
  | { kind: 'move'; writer: number; pick: number; forged: boolean; legal: boolean; offset: number; len: number; sf: boolean; idx: number; seed: number };

const stepArb = (n: number): fc.Arbitrary<Step> =>
  fc.oneof(
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('reg' as const), owner: fc.nat(n - 1), writer: fc.nat(n - 1), slot: fc.nat(7), size: fc.constantFrom(...SIZES), sbaIdx: fc.integer({ min: 30, max: 40 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('unreg' as const), owner: fc.nat(n - 1), pick: fc.nat(20) }) },
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('move' as const),
        writer: fc.nat(n - 1),
        pick: fc.nat(20),
        forged: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
        // Mostly a move the DMB's writer may make, inside the DMB; otherwise anything.
        legal: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
        offset: fc.oneof(fc.integer({ min: 0, max: 70000 }), fc.integer({ min: 4000, max: 4200 })),
        len: fc.oneof(fc.integer({ min: 0, max: 9000 }), fc.integer({ min: 1, max: 64 })),
        sf: fc.boolean(),
        idx: fc.nat(17),
        seed: fc.nat(1000),
      }),
    },
  );

async function runSteps(n: number, steps: Step[]): Promise<void> {
  const sim = new Simulator();
  const machine = new IsmMachine(sim, { vms: n, memorySize: MEM });
  const ref = new IsmNetworkModel(n, { memorySize: MEM });
  let failure: unknown;
  sim.process('firmware', async () => {
    try {
      const drivers = machine.vms.map((vm) => new IsmDriver(sim, new KernelIsmAccess(vm.zdev)));
      for (let i = 0; i < n; i++) {
        expect(ref.vms[i].gid).toBe(machine.vms[i].vm.ism.gid);
        for (const [name, f] of [
          ['REG_SBA', { sba: SBA_AT }],
          ['REG_IEQ', { ieq: IEQ_AT, len: 512 }],
        ] as const) {
          expect((await drivers[i].command(name, f)).ret).toBe(ref.command(i, name, f).ret);
        }
      }
      for (const [k, s] of steps.entries()) {
        const what = `step ${k} ${JSON.stringify(s)}`;
        if (s.kind === 'reg') {
          const f = { dmb: dmbAddress(s.slot), dmb_len: s.size, sba_idx: s.sbaIdx, rgid: ref.vms[s.writer].gid };
          const exp = ref.command(s.owner, 'REG_DMB', f);
          const got = await drivers[s.owner].command('REG_DMB', f);
          expect(got.ret, what).toBe(exp.ret);
          if (exp.ret === 0) expect(got.fields.dmb_tok, what).toBe(exp.fields.dmb_tok);
        } else if (s.kind === 'unreg') {
          const mine = ref.owned(s.owner);
          if (mine.length === 0) continue;
          const tok = mine[s.pick % mine.length].token;
          const exp = ref.command(s.owner, 'UNREG_DMB', { dmb_tok: tok });
          expect((await drivers[s.owner].command('UNREG_DMB', { dmb_tok: tok })).ret, what).toBe(exp.ret);
        } else {
          const all = [...ref.dmbs.values()];
          const target = s.forged || all.length === 0 ? undefined : all[s.pick % all.length];
          const token = target ? target.token : BigInt(0x40 + s.pick) << 32n;
          let writer = s.writer;
          let offset = s.offset;
          let len = s.len;
          if (target && s.legal) {
            writer = ref.vms.findIndex((v) => v.gid === target.rgid);
            offset = s.offset % target.length;
            len = Math.min(s.len, target.length - offset);
          }
          const bytes = patternBytes(len, s.seed);
          // The reference takes the driver's chunks: 4 KiB target boundaries, signal on the last.
          let expected = 0;
          for (let done = 0; done < bytes.length; ) {
            const at = offset + done;
            const chunk = Math.min(4096 - (at % 4096), bytes.length - done);
            const last = done + chunk === bytes.length;
            if (ref.move(writer, moveOffset(token, s.idx, s.sf && last, at), bytes.subarray(done, done + chunk)) !== 0) {
              expected = -5;
              break;
            }
            done += chunk;
          }
          const rc = await drivers[writer].move(token, s.idx, s.sf, offset, bytes);
          expect(rc, what).toBe(expected);
          if (expected === 0 && len > 0) seen.accepted++;
          else if (expected !== 0) seen.refused++;
          if (expected === 0 && len > 0 && s.sf) seen.signalled++;
        }
        await sim.tick(20); // let MSIs and event writes land
        for (const d of ref.dmbs.values()) {
          const got = machine.vms[d.owner].memory.read(d.address, d.length);
          const want = ref.vms[d.owner].memory.read(d.address, d.length);
          const diff = got.findIndex((b, i) => b !== want[i]);
          expect(diff, `${what}: vm${d.owner} DMB 0x${d.token.toString(16)} byte ${diff}`).toBe(-1);
        }
        for (let i = 0; i < n; i++) {
          expect([...machine.vms[i].memory.read(SBA_AT, 4096)], `${what}: vm${i} SBA`).toEqual([...ref.vms[i].memory.read(SBA_AT, 4096)]);
        }
      }
    } catch (e) {
      failure = e;
    }
  });
  await sim.run({ maxCycles: 50_000_000 });
  sim.dispose();
  if (failure) throw failure;
}

describe('the whole stack against the ISM reference model (property)', () => {
  it('random registrations, moves and unregistrations through real CPU instructions across 2–3 VMs', async () => {
    const seed = propertySeed(0x5157, 'ISM system vs reference');
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 3 }).chain((n) => fc.tuple(fc.constant(n), fc.array(stepArb(n), { minLength: 1, maxLength: 14 }))),
        async ([n, steps]) => runSteps(n, steps),
      ),
      { seed, numRuns: 60 },
    );
    console.log(`[property] ISM system vs reference: ${JSON.stringify(seen)}`);
    expect(seen.accepted).toBeGreaterThan(20);
    expect(seen.refused).toBeGreaterThan(20);
    expect(seen.signalled).toBeGreaterThan(5);
  }, 120_000);
});
