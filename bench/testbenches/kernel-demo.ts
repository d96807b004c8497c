import { Component, type Signal, type Simulator } from '../../rtl/hdl/index.ts';
import { runBench, traceIfAsked, type Testbench } from '../harness.ts';

/** A free-running counter feeding a combinational parity bit: the kernel on its own. */
class CounterWithParity extends Component {
  readonly count: Signal<number>;
  readonly parity: Signal<number>;
  constructor(sim: Simulator) {
    super(sim, 'demo');
    this.count = this.reg('count', 16);
    this.parity = this.wire('parity', 1);
    this.seq('count', () => this.count.set((this.count.value + 1) & 0xffff));
    this.comb('parity', [this.count], () => {
      let v = this.count.value;
      let p = 0;
      while (v) {
        p ^= v & 1;
        v >>>= 1;
      }
      this.parity.set(p);
    });
  }
}

export const kernelDemo: Testbench = {
  name: 'kernel-demo',
  description: 'a counter and a parity bit: the simulation kernel and VCD writer alone',
  run: (options) =>
    runBench('kernel-demo', options, async ({ sim, note }) => {
      const design = new CounterWithParity(sim);
      traceIfAsked(sim, options, 'kernel-demo');
      let odd = 0;
      sim.process('observer', async () => {
        for (let i = 0; i < 1000; i++) {
          await sim.tick();
          odd += design.parity.value;
        }
      });
      await sim.run();
      note(`counter reached ${design.count.value}; parity was odd in ${odd} of 1000 cycles`);
    }),
};
