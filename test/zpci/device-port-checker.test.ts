import { describe, expect, it } from 'vitest';
import { SimAssertionError, Simulator } from '../../rtl/hdl/index.ts';
import { DevicePort, DeviceStatus } from '../../rtl/zpci/device-port.ts';
import { DevicePortChecker } from '../../rtl/zpci/device-port-checker.ts';

type Step = (p: DevicePort) => void;

/** Drive the port by hand, one step per cycle, and return the checker's verdict. */
async function drive(steps: Step[]): Promise<{ error?: SimAssertionError; checker: DevicePortChecker }> {
  const sim = new Simulator();
  const port = new DevicePort(sim, 'dev_port');
  const checker = new DevicePortChecker(sim, 'chk', undefined, port);
  sim.process('tb', async () => {
    for (const step of steps) {
      step(port);
      await sim.tick();
    }
    await sim.tick(2);
  });
  let error: SimAssertionError | undefined;
  try {
    await sim.run({ maxCycles: 1000 });
  } catch (e) {
    if (!(e instanceof SimAssertionError)) throw e;
    error = e;
  }
  sim.dispose();
  return { error, checker };
}

/** A 12-byte block at offset 4: two beats, enables 0x0f then 0xff. */
const header: Step = (p) => {
  p.blkValid.set(1);
  p.blkSpace.set(0);
  p.blkOffset.set(4n);
  p.blkLen.set(12);
};
const accept: Step = (p) => {
  p.blkAccept.set(1);
  p.blkStatus.set(DeviceStatus.OK);
};
const endHeader: Step = (p) => {
  p.blkAccept.set(0);
  p.blkValid.set(0);
};
function beat(data: bigint, be: number, last: boolean, ready = true): Step {
  return (p) => {
    p.beatValid.set(1);
    p.beatData.set(data);
    p.beatBe.set(be);
    p.beatLast.set(last ? 1 : 0);
    p.beatReady.set(ready ? 1 : 0);
  };
}
const noBeat: Step = (p) => {
  p.beatValid.set(0);
  p.beatLast.set(0);
};
const done: Step = (p) => p.doneValid.set(1);
const undone: Step = (p) => p.doneValid.set(0);

describe('DevicePortChecker', () => {
  it('accepts a well-formed block with back-pressure', async () => {
    const { error, checker } = await drive([header, accept, endHeader, beat(1n, 0x0f, false, false), beat(1n, 0x0f, false), beat(2n, 0xff, true), noBeat, done, undone]);
    expect(error).toBeUndefined();
    expect(checker.counts).toEqual({ accesses: 0, blocks: 1, beats: 2 });
  });

  it('catches a beat that changes while it was not taken', async () => {
    const { error } = await drive([header, accept, endHeader, beat(1n, 0x0f, false, false), beat(9n, 0x0f, false)]);
    expect(error?.message).toMatch(/beat changed while not taken/);
    expect(error?.signals['dev_port.beat_data']).toBe('0x9');
  });

  it('catches wrong byte enables and a misplaced beat_last', async () => {
    expect((await drive([header, accept, endHeader, beat(1n, 0xff, false)])).error?.message).toMatch(/beat 0 enables 0xff, the block needs 0xf/);
    expect((await drive([header, accept, endHeader, beat(1n, 0x0f, true)])).error?.message).toMatch(/beat_last on beat 0 of 2/);
  });

  it('catches done before the last beat, and beats outside a block', async () => {
    expect((await drive([header, accept, endHeader, beat(1n, 0x0f, false), noBeat, done])).error?.message).toMatch(/done_valid after 1 of 2 beats/);
    expect((await drive([beat(1n, 0xff, true)])).error?.message).toMatch(/beat outside an accepted block/);
  });

  it('catches a request dropped before its answer and an answer without a request', async () => {
    const raise: Step = (p) => {
      p.accValid.set(1);
      p.accLen.set(8);
    };
    const drop: Step = (p) => p.accValid.set(0);
    expect((await drive([raise, drop])).error?.message).toMatch(/acc_valid dropped before acc_done/);
    expect((await drive([(p) => p.accDone.set(1)])).error?.message).toMatch(/acc_done without acc_valid/);
  });
});
