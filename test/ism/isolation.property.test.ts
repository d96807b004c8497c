/**
 * Isolation: whatever token, DMBE index, offset and length a VM puts in a BAR 0 PCISTB, the only
 * bytes that can change anywhere are inside a DMB registered to the target with the mover as its
 * writer, inside the moved range (plus the owner's SBA for an accepted signalled move). A rejected
 * move changes nothing anywhere. The network's own check() assertion guards every DMA as well.
 */
import { describe, expect, it } from 'vitest';
import { propertySeed } from '../support/seed.ts';
import fc from 'fast-check';
import { IsmFixture } from '../support/ism-fixture.ts';
import { decodeMoveOffset } from '../../rtl/ism/commands.ts';
import { DeviceStatus } from '../../rtl/zpci/device-port.ts';
import { dmbSlot, IEQ_AT, patternBytes, SBA_AT } from './support.ts';

const N = 3;

async function setup(fx: IsmFixture): Promise<void> {
  await fx.run(async () => {
    for (let i = 0; i < N; i++) {
      await fx.command(i, 'REG_SBA', { sba: SBA_AT });
      await fx.command(i, 'REG_IEQ', { ieq: IEQ_AT, len: 512 });
      // Two DMBs per VM: one written by each other VM; some guard bytes around them are touched.
      for (let k = 1; k < N; k++) {
        const writer = (i + k) % N;
        const at = dmbSlot(k);
        fx.vms[i].memory.fill(at - 16, 16, 0xee);
        fx.vms[i].memory.fill(at + 16384, 16, 0xee);
        const r = await fx.command(i, 'REG_DMB', { dmb: at, dmb_len: 16384, sba_idx: 31 + k, rgid: fx.vms[writer].adapter.gid });
        expect(r.ret).toBe(0);
      }
    }
  });
}

describe('ISM isolation', () => {
  it('random tokens, offsets and lengths never reach memory outside a DMB registered to the mover', async () => {
    const seed = propertySeed(0x1501, 'ISM isolation');
    let accepted = 0;
    let rejected = 0;
    const tokenArb = fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 8 }).map((t) => BigInt(t) << 32n), weight: 4 },
      { arbitrary: fc.integer({ min: 0, max: 0xffff }).map((t) => BigInt(t) << 32n), weight: 1 },
      { arbitrary: fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }).map((t) => t << 32n), weight: 1 },
    );
    const moveArb = fc.record({
      vm: fc.integer({ min: 0, max: N - 1 }),
      token: tokenArb,
      idx: fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.integer({ min: 0, max: 255 }), weight: 1 }),
      sf: fc.boolean(),
      offset: fc.oneof(
        { arbitrary: fc.integer({ min: 0, max: 16384 + 64 }), weight: 4 },
        { arbitrary: fc.integer({ min: 0, max: (1 << 23) - 1 }), weight: 1 },
      ),
      len: fc.oneof(fc.integer({ min: 1, max: 256 }), fc.integer({ min: 1, max: 4096 })),
      seed: fc.nat(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(moveArb, { minLength: 1, maxLength: 12 }), async (moves) => {
        const fx = new IsmFixture(N, { memorySize: 16 << 20 });
        try {
          await setup(fx);
          for (const mv of moves) {
            const before = fx.vms.map((v) => v.memory.snapshot());
            const pci = mv.token | (BigInt(mv.idx) << 24n) | (mv.sf ? 1n << 23n : 0n) | BigInt(mv.offset);
            const bytes = patternBytes(mv.len, mv.seed);
            const r = await fx.run(() => fx.vms[mv.vm].driver.storeBlock(0, pci, bytes));
            await fx.idle(fx.timing.msiLatency + 1);
            const a = decodeMoveOffset(pci);
            const moverGid = fx.vms[mv.vm].adapter.gid;
            if (r.status === DeviceStatus.OK) accepted++;
            else rejected++;
            for (let v = 0; v < N; v++) {
              const mem = fx.vms[v].memory;
              const pages = new Set([...mem.pageNumbers(), ...before[v].keys()]);
              for (const pn of pages) {
                const now = mem.read(pn * 4096, 4096);
                const old = before[v].get(pn) ?? new Uint8Array(4096);
                for (let i = 0; i < 4096; i++) {
                  if (now[i] === old[i]) continue;
                  const addr = pn * 4096 + i;
                  expect(r.status, `rejected move changed vm${v} byte 0x${addr.toString(16)}`).toBe(DeviceStatus.OK);
                  const inDmb = [...fx.net.dmbTable.values()].some(
                    (d) =>
                      d.owner === v &&
                      d.token === a.token &&
                      d.rgid === moverGid &&
                      addr >= d.address + a.offset &&
                      addr < d.address + a.offset + mv.len &&
                      addr < d.address + d.length,
                  );
                  const inSba = a.sf && addr >= SBA_AT && addr < SBA_AT + 4096;
                  expect(inDmb || inSba, `vm${mv.vm} move changed vm${v} byte 0x${addr.toString(16)}`).toBe(true);
                }
              }
            }
          }
        } finally {
          fx.sim.dispose();
        }
      }),
      { seed, numRuns: Number(process.env.ISM_RUNS ?? 60) },
    );
    console.log(`isolation: ${accepted} moves accepted, ${rejected} rejected`);
    expect(accepted).toBeGreaterThan(0);
  });
});
