/**
 * Puts one fault into the running system. Faults that must land at an awkward moment (a reset
 * mid-move or mid-command) wait, briefly and boundedly, for that moment; the rest act at once.
 */
import { StackErrno } from '../../models/ism/channel.ts';
import type { Fault } from './faults.ts';
import type { ClientState } from './workload.ts';
import type { SoakState } from './state.ts';

/** How long a reset waits for a move / command to be in flight before it goes anyway. */
const MOMENT_WAIT = 50_000;
const SPACE = { bar0: 0, bar2: 2 } as const;

export function inject(state: SoakState, f: Fault, clients: ReadonlyMap<number, ClientState>): void {
  const sim = state.sim;
  const node = state.nodes[f.vm];
  state.count(state.faults, `${f.kind}/${f.variant}`);
  state.injected.push(f);
  switch (f.kind) {
    case 'error':
      // The machine puts the function into the error state; the platform reports it to the OS
      // after a while (the zPCI error event), whose handler runs the recovery.
      node.vm.vm.hw.pfu.setError();
      sim.process(`fault_error_vm${f.vm}_${f.at}`, async () => {
        await sim.tick(Math.max(1, f.arg));
        if (node.stoppedUntil < 0) node.requestRecovery('error');
      });
      return;
    case 'reset':
      sim.process(`fault_reset_vm${f.vm}_${f.at}`, async () => {
        const inFlight = (): boolean => (f.variant === 'move' ? (node.access?.movesInFlight ?? 0) : (node.access?.commandsInFlight ?? 0)) > 0;
        await sim.until(inFlight, { timeout: MOMENT_WAIT, what: `reset ${f.variant} moment` }).catch(() => undefined);
        if (!node.up) return;
        state.count(state.faults, inFlight() ? `reset/${f.variant}:in-flight` : `reset/${f.variant}:idle`);
        await node.resetDevice();
        node.requestRecovery('reset');
      });
      return;
    case 'busy':
      node.vm.vm.ism.busyStorm(SPACE[f.variant as keyof typeof SPACE], Math.max(1, f.arg));
      return;
    case 'unreg':
      if (f.variant === 'sba') {
        sim.process(`fault_unreg_sba_vm${f.vm}_${f.at}`, async () => {
          if (!node.up) return;
          await node
            .use(async (d) => {
              await d.command('UNREG_IEQ');
              await d.command('UNREG_SBA');
            })
            .catch(() => undefined);
          node.requestRecovery('unreg');
        });
        return;
      }
      {
        const open = [...node.connections].filter((c) => c.channel !== null && !c.rxGone);
        if (open.length === 0 || !node.up) return;
        const conn = open[f.arg % open.length];
        conn.rxGone = true;
        conn.channel!.abort(StackErrno.ECONNRESET);
        sim.process(`fault_unreg_dmb_vm${f.vm}_${f.at}`, async () => {
          await node.use((d) => d.unregisterDmb(conn.rx)).catch(() => undefined);
        });
      }
      return;
    case 'stop':
      if (node.up) node.stop(sim.cycle + Math.max(1, f.arg));
      return;
    case 'msi':
      if (f.variant === 'lost') node.access?.loseNextMsi();
      else node.access?.delayNextMsi(f.arg);
      return;
    case 'badreq': {
      const client = clients.get(f.vm);
      if (client) client.badRequest = f.variant;
      return;
    }
  }
}
