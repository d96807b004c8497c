import { Simulator } from '../../rtl/hdl/index.ts';
import { IsmMachine } from '../../models/host/machine.ts';
import { Directory, IsmNode } from '../../models/ism/rendezvous.ts';

export interface StackRig {
  sim: Simulator;
  machine: IsmMachine;
  directory: Directory;
}

/**
 * Two VMs on one ISM network: VM 0 runs the user-space daemon (vfio), VM 1 the in-kernel driver.
 * `server` and `client` run as simulation processes on their started nodes; the first error of
 * either is rethrown after the run.
 */
export async function twoVmStack(
  server: (node: IsmNode, rig: StackRig) => Promise<void>,
  client: (node: IsmNode, rig: StackRig) => Promise<void>,
  maxCycles = 20_000_000,
): Promise<StackRig> {
  const sim = new Simulator();
  const machine = new IsmMachine(sim, { vms: 2, memorySize: 16 << 20 });
  const directory = new Directory();
  const rig = { sim, machine, directory };
  const errors: unknown[] = [];
  let serverNode: IsmNode | undefined;
  sim.process('vm0_daemon', async () => {
    try {
      serverNode = await IsmNode.start('vm0', machine.vms[0], 'vfio', directory);
      await server(serverNode, rig);
    } catch (e) {
      errors.push(e);
    }
  });
  sim.process('vm1_kernel', async () => {
    try {
      await client(await IsmNode.start('vm1', machine.vms[1], 'kernel', directory), rig);
    } catch (e) {
      errors.push(e);
    }
    // The client is done: a daemon still waiting on its channels is told to stop.
    for (const c of serverNode?.channels ?? []) c.abort();
  });
  try {
    await sim.run({ maxCycles });
  } finally {
    sim.dispose();
  }
  if (errors.length) throw errors[0];
  return rig;
}
