import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Simulator } from '../../rtl/hdl/index.ts';
import { ScratchMachine } from '../../models/host/zpci-machine.ts';
import { VfioDevice } from '../../models/vfio/vfio-device.ts';

/** A full garbage collection, without starting the test process with --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('closed vfio devices are released before the simulation ends (issue 13: soak arrayBuffers grew)', () => {
  it('a closed VfioDevice, its driver and user memory were kept alive by the simulator until dispose', async () => {
    const sim = new Simulator();
    const machine = new ScratchMachine(sim);
    const closed: WeakRef<object>[] = [];
    sim.process('reopen', async () => {
      for (let i = 0; i < 3; i++) {
        const dev = VfioDevice.open(machine.zdev);
        dev.user.copyTo(dev.user.allocate(4096), new Uint8Array(4096).fill(i));
        await sim.tick(4);
        dev.close();
        closed.push(new WeakRef(dev.user));
      }
    });
    await sim.run({ maxCycles: 1_000 });
    // WeakRefs hold their target until the current job ends.
    await new Promise((resolve) => setTimeout(resolve, 0));
    collectGarbage();
    const alive = closed.filter((ref) => ref.deref() !== undefined).length;
    sim.dispose();
    expect(closed).toHaveLength(3);
    expect(alive).toBe(0);
  });

  it('the function onDispose returns takes the teardown back', () => {
    const sim = new Simulator();
    const ran: string[] = [];
    const unregister = sim.onDispose(() => ran.push('taken back'));
    sim.onDispose(() => ran.push('kept'));
    unregister();
    sim.dispose();
    expect(ran).toEqual(['kept']);
  });
});
