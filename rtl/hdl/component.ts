import type { ClockedProcess, Simulator } from './simulator.ts';
import type { Signal, SignalValue } from './signal.ts';

/**
 * A hardware block with a hierarchical instance name (`vm0.pfu`). Its signals are named
 * under that path, which is also its scope in the waveform.
 */
export class Component {
  readonly path: string;

  constructor(
    readonly sim: Simulator,
    readonly name: string,
    readonly parent?: Component,
  ) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(`component name "${name}" must be an identifier (letters, digits, _)`);
    }
    this.path = parent ? `${parent.path}.${name}` : name;
  }

  /** A wire of 1..32 bits under this component's scope. */
  protected wire(name: string, width: number, initial = 0): Signal<number> {
    return this.sim.signal(`${this.path}.${name}`, width, initial, 'wire');
  }

  /** A register of 1..32 bits: written only by this component's clocked process. */
  protected reg(name: string, width: number, initial = 0): Signal<number> {
    return this.sim.signal(`${this.path}.${name}`, width, initial, 'reg');
  }

  /** A wire of 33..64 bits. */
  protected wideWire(name: string, width: number, initial = 0n): Signal<bigint> {
    return this.sim.wideSignal(`${this.path}.${name}`, width, initial, 'wire');
  }

  /** A register of 33..64 bits. */
  protected wideReg(name: string, width: number, initial = 0n): Signal<bigint> {
    return this.sim.wideSignal(`${this.path}.${name}`, width, initial, 'reg');
  }

  protected comb(name: string, inputs: readonly Signal<SignalValue>[], fn: () => void): void {
    this.sim.comb(`${this.path}.${name}`, inputs, fn);
  }

  protected seq(name: string, fn: () => void): ClockedProcess {
    return this.sim.seq(`${this.path}.${name}`, fn);
  }

  /** Inside this component's clocked process: nothing changes until one of `wakeOn` changes, or the edge of cycle `until`. */
  protected idle(wakeOn: readonly Signal<SignalValue>[], until?: number): void {
    this.sim.idle(wakeOn, until);
  }

  /** A hardware assertion: stops the simulation naming the cycle, this component and the signals. */
  protected check(condition: boolean, detail: string, signals: readonly Signal<SignalValue>[] = []): void {
    if (!condition) this.sim.fail(this.path, detail, signals);
  }
}
