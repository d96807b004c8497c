import { afterEach, describe, expect, it } from 'vitest';
import { Simulator } from '../../rtl/hdl/index.ts';
import { runVfioFuzz } from '../../models/ref/vfio-fuzz.ts';
import { liveArrayBufferBytes } from '../support/garbage.ts';

const dispose = Simulator.prototype.dispose;
afterEach(() => {
  Simulator.prototype.dispose = dispose;
});

describe('a fuzz campaign releases each finished run (issue 10: its heap grew by a machine per run)', () => {
  it('no earlier run\'s simulator is alive while the campaign goes on', async () => {
    // Each disposed simulator carries a large buffer: the buffers still alive count the machines.
    const ballast = 8 << 20;
    let disposed = 0;
    Simulator.prototype.dispose = function (this: Simulator) {
      disposed++;
      Object.assign(this, { ballast: new Uint8Array(ballast) });
      dispose.call(this);
    };
    const before = liveArrayBufferBytes();
    const heldAt: number[] = [];
    const report = await runVfioFuzz({
      seed: 3,
      runs: 12,
      onRun: (done) => {
        if (done === 12) heldAt.push(Math.round((liveArrayBufferBytes() - before) / ballast));
      },
    });
    expect(report.failure).toBeUndefined();
    expect(disposed).toBe(12);
    // The run just finished may still be referenced from the campaign's frame.
    expect(heldAt[0]).toBeLessThanOrEqual(1);
  });
});
