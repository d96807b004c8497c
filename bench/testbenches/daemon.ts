import { randomBytes } from '../../models/host/prng.ts';
import { IsmMachine } from '../../models/host/machine.ts';
import { BlockClient, BlockServer, MemoryImage, SECTOR_SIZE } from '../../models/ism/block-device.ts';
import { HEADER_SIZE } from '../../models/ism/channel.ts';
import { ConsoleClient, ConsoleServer } from '../../models/ism/console.ts';
import { Directory, IsmNode } from '../../models/ism/rendezvous.ts';
import { KERNEL_DRIVER_MAXSTBL, runBench, traceIfAsked, type Testbench } from '../harness.ts';

const DISK_BYTES = 256 * 1024;
const CONSOLE_LINES = ['hostname', 'echo served by one daemon', 'uptime'];

/**
 * The stack's purpose in one run: one user-space daemon in VM 0, over vfio, serves consoles and
 * disks to the other VMs at the same time. Odd VMs attach to a console, even VMs (from VM 2)
 * write and read back 256 KiB on their own disk; each client uses the in-kernel ISM driver.
 */
export const daemonBench: Testbench = {
  name: 'daemon',
  description: 'one vfio daemon in VM0 serves a console to odd VMs and a disk to even VMs, all at once (in-kernel clients)',
  vms: { min: 3, max: 8, default: 3 },
  seeded: true,
  maxstbl: KERNEL_DRIVER_MAXSTBL,
  run: (options) =>
    runBench('daemon', options, async (ctx) => {
      const { sim, note } = ctx;
      const machine = new IsmMachine(sim, { vms: options.vms, maxstbl: options.maxstbl });
      traceIfAsked(sim, options, 'daemon: one vfio daemon serving consoles and disks', {
        scopes: machine.vms.flatMap((_, i) => [`vm${i}.cpu_port`, `vm${i}.ism`]).concat('net'),
        clock: false,
      });
      const directory = new Directory();
      const clients = machine.vms.slice(1).map((_, k) => ({ index: k + 1, kind: (k + 1) % 2 === 1 ? ('console' as const) : ('disk' as const) }));
      const disks = new Map<number, MemoryImage>();
      const finished: string[] = [];

      sim.process('vm0_daemon', async () => {
        const node = await IsmNode.start('vm0', machine.vms[0], 'vfio', directory);
        for (const c of clients) {
          // One server process per client, all on the daemon's single device and driver.
          sim.process(`vm0_serve_vm${c.index}`, async () => {
            const peer = `vm${c.index}`;
            if (c.kind === 'console') {
              const { channel } = await node.open('console', peer, HEADER_SIZE + 4096);
              await new ConsoleServer(channel, { hostname: 'vm0', now: () => sim.cycle }).serve();
            } else {
              const image = new MemoryImage(DISK_BYTES);
              disks.set(c.index, image);
              const { channel } = await node.open('blk', peer, HEADER_SIZE + 64 * 1024);
              await new BlockServer(channel, image).serve();
            }
          });
        }
      });

      for (const c of clients) {
        const name = `vm${c.index}`;
        sim.process(`${name}_${c.kind}`, async () => {
          const node = await IsmNode.start(name, machine.vms[c.index], 'kernel', directory);
          if (c.kind === 'console') {
            const { channel } = await node.open('console', 'vm0', HEADER_SIZE + 4096);
            const client = new ConsoleClient(channel, 'root@vm0:~# ');
            await client.attach();
            const replies: string[] = [];
            for (const line of CONSOLE_LINES) {
              const x = await client.type(line);
              // The reply is the echo, the output, then the next prompt: keep the output.
              const output = x.reply.slice(line.length + 1).replace('root@vm0:~# ', '').trim();
              replies.push(`${line} -> ${output} (${x.roundTripCycles} cycles)`);
            }
            await channel.close();
            note(`${name} console: ${replies.join('; ')}`);
          } else {
            const { channel } = await node.open('blk', 'vm0', HEADER_SIZE + 64 * 1024);
            const blk = new BlockClient(channel);
            const data = randomBytes(options.seed + c.index, DISK_BYTES);
            const t0 = sim.cycle;
            await blk.write(0, data.subarray(0, DISK_BYTES / 2));
            await blk.write(DISK_BYTES / 2 / SECTOR_SIZE, data.subarray(DISK_BYTES / 2));
            await blk.flush();
            const back = new Uint8Array(DISK_BYTES);
            back.set(await blk.read(0, DISK_BYTES / 2 / SECTOR_SIZE), 0);
            back.set(await blk.read(DISK_BYTES / 2 / SECTOR_SIZE, DISK_BYTES / 2 / SECTOR_SIZE), DISK_BYTES / 2);
            await channel.close();
            const bad = back.findIndex((b, i) => b !== data[i]);
            if (bad >= 0) throw new Error(`${name}: disk byte ${bad} read back as 0x${back[bad].toString(16)}`);
            note(`${name} disk: ${DISK_BYTES} bytes written, flushed, read back and verified in ${sim.cycle - t0} cycles`);
          }
          finished.push(name);
        });
      }

      await sim.run({ maxCycles: 200_000_000 });
      if (finished.length !== clients.length) throw new Error(`only ${finished.join(', ')} finished`);
      for (const [i, image] of disks) {
        if (image.flushes !== 1) throw new Error(`vm${i}'s disk was flushed ${image.flushes} times`);
      }
      for (const vm of machine.vms) ctx.count(vm.cpu.stats);
    }),
};
