import { describe, expect, it } from 'vitest';
import { Simulator } from '../../rtl/hdl/index.ts';
import { CHANNEL_POLL_INTERVAL, Channel, ChannelError, StackErrno, type ChannelPort } from '../../models/ism/channel.ts';
import { loopbackPair } from '../../models/ism/loopback-port.ts';

describe('every channel wait is bounded (found by the soak)', () => {
  it('a recv from a silent peer fails with ETIMEDOUT after the timeout, not with a simulator timeout', async () => {
    const sim = new Simulator();
    const [pa, pb] = loopbackPair(sim, { lengthA: 128, lengthB: 128 });
    const a = new Channel(pa, 'a', 5_000);
    new Channel(pb, 'b');
    let failure: unknown;
    let at = 0;
    sim.process('rx', async () => {
      await a.recv().catch((e: unknown) => (failure = e));
      at = sim.cycle;
    });
    await sim.run({ maxCycles: 100_000 });
    sim.dispose();
    expect(failure).toBeInstanceOf(ChannelError);
    expect((failure as ChannelError).errno).toBe(StackErrno.ETIMEDOUT);
    expect(at).toBeGreaterThanOrEqual(5_000);
    expect(at).toBeLessThan(6_000);
  });

  it('a waiter that hears no interrupt polls the port and finds the data (a lost MSI only delays it)', async () => {
    const sim = new Simulator();
    const [pa, pb] = loopbackPair(sim, { lengthA: 128, lengthB: 128 });
    // B's interrupts are lost: it sees none of the signals until it polls.
    let polls = 0;
    let polledAt = 0;
    const deaf: ChannelPort = {
      sim,
      rxLength: pb.rxLength,
      txLength: pb.txLength,
      move: (offset, bytes, signal) => pb.move(offset, bytes, signal),
      readRx: (offset, length) => pb.readRx(offset, length),
      get signals() {
        return polls > 0 ? pb.signals : 0;
      },
      get peerGone() {
        return pb.peerGone;
      },
      poll: () => {
        polls++;
        polledAt = sim.cycle;
      },
    };
    const a = new Channel(pa, 'a');
    const b = new Channel(deaf, 'b', 200_000);
    let got: Uint8Array | null = null;
    sim.process('tx', async () => a.send(Uint8Array.of(7, 8, 9)));
    sim.process('rx', async () => {
      got = await b.recv();
    });
    await sim.run({ maxCycles: 300_000 });
    sim.dispose();
    expect(polls).toBe(1);
    expect(got).toEqual(Uint8Array.of(7, 8, 9));
    // The wait began at cycle 0: its first quiet spell ends, and the poll finds the data, at CHANNEL_POLL_INTERVAL.
    expect(polledAt).toBe(CHANNEL_POLL_INTERVAL);
  });
});
