/**
 * Remote console over a channel (PROTOCOL.md §7): a line-oriented stream of UTF-8 text. The
 * server (in VM 0's daemon) echoes each line it receives the way a tty in canonical mode does,
 * runs it in a tiny shell and sends the output and the next prompt. The client (VM 1) types lines
 * and collects the output up to the next prompt.
 */
import type { Channel } from './channel.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface ConsoleServerOptions {
  readonly hostname: string;
  /** Cycle source for `uptime`. */
  readonly now: () => number;
  /** Each line the console process reads; when given, lines are handed here instead of kept in `received` (long sessions). */
  readonly onLine?: (line: string) => void;
}

export class ConsoleServer {
  readonly prompt: string;
  /** What the console process saw, line by line (unless `options.onLine` takes them). */
  readonly received: string[] = [];
  constructor(
    readonly channel: Channel,
    readonly options: ConsoleServerOptions,
  ) {
    this.prompt = `root@${options.hostname}:~# `;
  }

  /** The shell: a handful of commands, everything else "command not found". */
  execute(line: string): string {
    const [cmd, ...args] = line.trim().split(/\s+/);
    switch (cmd) {
      case undefined:
      case '':
        return '';
      case 'echo':
        return `${args.join(' ')}\n`;
      case 'hostname':
        return `${this.options.hostname}\n`;
      case 'uptime':
        return `up ${this.options.now()} cycles\n`;
      case 'rev':
        return `${args.join(' ').split('').reverse().join('')}\n`;
      case 'help':
        return 'commands: echo hostname uptime rev help exit\n';
      case 'exit':
        return 'logout\n';
      default:
        return `-sh: ${cmd}: command not found\n`;
    }
  }

  /** Serve until the client closes or types `exit`. */
  async serve(): Promise<void> {
    await this.channel.send(encoder.encode(`${this.options.hostname} ISM console\n${this.prompt}`));
    let pending = '';
    for (;;) {
      const bytes = await this.channel.recv();
      if (bytes.length === 0) return;
      pending += decoder.decode(bytes, { stream: true });
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (this.options.onLine) this.options.onLine(line);
        else this.received.push(line);
        const output = this.execute(line);
        // Echo first (canonical-mode tty), then the command's output and the next prompt.
        await this.channel.send(encoder.encode(`${line}\n${output}${line.trim() === 'exit' ? '' : this.prompt}`));
        if (line.trim() === 'exit') {
          await this.channel.close();
          return;
        }
      }
    }
  }
}

export interface ConsoleExchange {
  readonly line: string;
  /** Everything the server sent back: echo, output, prompt. */
  readonly reply: string;
  /** Cycles from sending the line to receiving its whole echo. */
  readonly echoCycles: number;
  /** Cycles from sending the line to receiving the next prompt (or the end of the stream). */
  readonly roundTripCycles: number;
}

export class ConsoleClient {
  private buffer = '';
  /** Everything shown on the client's terminal (kept only with `keepTranscript`). */
  transcript = '';
  constructor(
    readonly channel: Channel,
    readonly prompt: string,
    /** false for long sessions: each exchange is returned, not accumulated. */
    readonly keepTranscript = true,
  ) {}

  private async readUntil(done: (text: string) => boolean): Promise<boolean> {
    while (!done(this.buffer)) {
      const bytes = await this.channel.recv();
      if (bytes.length === 0) return false;
      this.buffer += decoder.decode(bytes, { stream: true });
    }
    return true;
  }

  private take(): string {
    const s = this.buffer;
    this.buffer = '';
    if (this.keepTranscript) this.transcript += s;
    return s;
  }

  /** Wait for the banner and the first prompt. */
  async attach(): Promise<string> {
    await this.readUntil((t) => t.endsWith(this.prompt));
    return this.take();
  }

  /** Type one line; returns the echo, the output and the timing. */
  async type(line: string): Promise<ConsoleExchange> {
    const sim = this.channel.port.sim;
    const start = sim.cycle;
    await this.channel.send(encoder.encode(`${line}\n`));
    await this.readUntil((t) => t.length >= line.length + 1);
    const echoCycles = sim.cycle - start;
    await this.readUntil((t) => t.endsWith(this.prompt));
    const roundTripCycles = sim.cycle - start;
    return { line, reply: this.take(), echoCycles, roundTripCycles };
  }
}
