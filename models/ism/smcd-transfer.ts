/**
 * Two VMs exchange byte streams over SMC-D, full duplex: each VM runs the in-kernel ISM driver
 * (KernelIsmAccess), opens one SmcdConnection to the other, sends its stream in the planned
 * write sizes and reads the other's with the planned read sizes and pauses. Used by the `smcd`
 * bench and the SMC-D property test; registers simulation processes, the caller runs the sim.
 */
import type { IsmMachine } from '../host/machine.ts';
import { IsmDriver } from './ism-driver.ts';
import { KernelIsmAccess } from './kernel-access.ts';
import { Directory } from './rendezvous.ts';
import { SmcdConnection, type SmcdOptions, type SmcdStats } from './smcd-connection.ts';

export interface SmcdEndPlan {
  /** The bytes this VM sends to the other. */
  readonly stream: Uint8Array;
  /** This VM's RMB and send buffer. */
  readonly options?: SmcdOptions;
  /** Sizes of successive send() calls (cycled; each ≥ 1). */
  readonly writeSizes?: readonly number[];
  /** Largest read of successive recv() calls (cycled; each ≥ 1). */
  readonly readSizes?: readonly number[];
  /** Cycles to pause before successive reads (cycled; 0 = none). */
  readonly readPauses?: readonly number[];
}

export interface SmcdEndResult {
  /** What this VM received, in order. */
  received: Uint8Array;
  stats?: SmcdStats;
  connection?: SmcdConnection;
  driver?: IsmDriver;
}

function cycled(list: readonly number[] | undefined, i: number, fallback: number): number {
  return list && list.length > 0 ? list[i % list.length] : fallback;
}

/**
 * Set up the exchange between `machine.vms[0]` and `machine.vms[1]`. The returned results fill
 * in as the simulation runs; a failure in any process rejects the run.
 */
export function smcdTransfer(machine: IsmMachine, plans: readonly [SmcdEndPlan, SmcdEndPlan]): readonly [SmcdEndResult, SmcdEndResult] {
  const sim = machine.sim;
  const directory = new Directory();
  const results: [SmcdEndResult, SmcdEndResult] = [{ received: new Uint8Array(0) }, { received: new Uint8Array(0) }];
  let finished = 0;
  for (const side of [0, 1] as const) {
    const plan = plans[side];
    const peerPlan = plans[1 - side];
    const name = `vm${side}`;
    const peerName = `vm${1 - side}`;
    const result = results[side];
    sim.process(`${name}_smcd_send`, async () => {
      const driver = new IsmDriver(sim, new KernelIsmAccess(machine.vms[side].zdev));
      await driver.probe();
      const conn = await SmcdConnection.open(driver, directory, name, peerName, plan.options);
      Object.assign(result, { connection: conn, driver, stats: conn.stats });
      let done = 0;
      for (let i = 0; done < plan.stream.length; i++) {
        const n = Math.min(cycled(plan.writeSizes, i, plan.stream.length), plan.stream.length - done);
        done += await conn.send(plan.stream.subarray(done, done + n));
      }
      await conn.shutdownWrite();
      finished++;
      await sim.until(() => finished === 4, { timeout: conn.timeout, what: `${name}: both streams done` });
      conn.stop();
    });
    sim.process(`${name}_smcd_recv`, async () => {
      await sim.until(() => result.connection !== undefined, { timeout: 10_000_000, what: `${name}: connection open` });
      const conn = result.connection!;
      const received = new Uint8Array(peerPlan.stream.length);
      let got = 0;
      for (let i = 0; ; i++) {
        const pause = cycled(plan.readPauses, i, 0);
        if (pause > 0) await sim.tick(pause);
        const part = await conn.recv(cycled(plan.readSizes, i, 1 << 20));
        if (part.length === 0) break;
        if (got + part.length > received.length) throw new Error(`${name}: received ${got + part.length} bytes, the peer sent ${received.length}`);
        received.set(part, got);
        got += part.length;
      }
      result.received = received.subarray(0, got);
      finished++;
    });
  }
  return results;
}
