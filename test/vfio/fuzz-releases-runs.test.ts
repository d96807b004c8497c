import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { Simulator } from '../../rtl/hdl/index.ts';
import { runVfioFuzz } from '../../models/ref/vfio-fuzz.ts';

/** A full garbage collection, without starting the test process with --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

const dispose = Simulator.prototype.dispose;
afterEach(() => {
  Simulator.prototype.dispose = dispose;
});

describe('a fuzz campaign releases each finished run (issue 10: its heap grew by a machine per run)', () => {
  it('no earlier run\'s simulator is alive while the campaign goes on', async () => {
    const disposed: WeakRef<Simulator>[] = [];
    Simulator.prototype.dispose = function (this: Simulator) {
      disposed.push(new WeakRef(this));
      dispose.call(this);
    };
    const aliveAt: number[] = [];
    const report = await runVfioFuzz({
      seed: 3,
      runs: 12,
      onRun: (done) => {
        if (done < 12) return;
        collectGarbage();
        aliveAt.push(disposed.filter((ref) => ref.deref() !== undefined).length);
      },
    });
    expect(report.failure).toBeUndefined();
    expect(disposed).toHaveLength(12);
    expect(aliveAt).toEqual([0]);
  });
});
