import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';
import { testWavePath } from '../support/waves.ts';
import { CheckRow } from '../../rtl/zpci/codes.ts';
import { CHECK_ROW_NAMES, PFU_FSM_NAMES, SBE_STATE_NAMES } from '../../bench/wave/enums.ts';

/** The members of a `const enum` in an RTL source, as value → name. */
function constEnum(file: string, name: string): Record<number, string> {
  const src = readFileSync(file, 'utf8');
  const body = new RegExp(`const enum ${name} \\{([^}]*)\\}`).exec(src)![1];
  return Object.fromEntries([...body.matchAll(/(\w+)\s*=\s*(\d+)/g)].map((m) => [Number(m[2]), m[1]]));
}

describe('value names on the waveform', () => {
  it('match the RTL encodings of pfu.fsm, sbe.state and every check-table row', () => {
    expect(PFU_FSM_NAMES).toEqual(constEnum('rtl/zpci/pci-function-unit.ts', 'Fsm'));
    expect(SBE_STATE_NAMES).toEqual(constEnum('rtl/zpci/store-block-engine.ts', 'SbeState'));
    expect(Object.keys(CHECK_ROW_NAMES).map(Number).sort((a, b) => a - b)).toEqual(Object.values(CheckRow).sort((a, b) => a - b));
    expect(CHECK_ROW_NAMES[CheckRow.STB_LENGTH]).toBe('len>maxstbl');
  });
});

describe('viewer files, FST and JSON from ism-sim run', () => {
  it('a GTKWave save file groups every signal per interface, names vectors with [msb:lsb] and reads enums as names', async () => {
    const vcd = testWavePath('gtkw-probe');
    const r = await cli('run', 'probe', '--vcd', vcd);
    expect(r.code).toBe(0);
    const save = vcd.replace(/\.vcd$/, '.gtkw');
    expect(r.out).toMatch(/^viewer\s+gtkwave .*gtkw-probe\.gtkw$/m);
    const text = readFileSync(save, 'utf8');
    expect(text).toContain(`[dumpfile] "${resolve(vcd)}"`);
    for (const group of ['vm0 CPU port', 'vm0 function unit', 'vm0 store-block engine', 'vm0 device port', 'vm0 ISM adapter', 'ISM network']) {
      expect(text).toContain(`@800200\n-${group}\n`);
      expect(text).toContain(`@1000200\n-${group}\n`);
    }
    // Every trace names a variable of the VCD exactly as GTKWave names it (vectors with their range).
    const declared = new Set<string>();
    const scope: string[] = [];
    for (const line of readFileSync(vcd, 'utf8').split('\n')) {
      const t = line.split(' ');
      if (t[0] === '$scope') scope.push(t[2]);
      else if (t[0] === '$upscope') scope.pop();
      else if (t[0] === '$var') declared.add([...scope, t[4]].join('.') + (t.length === 7 ? t[5] : ''));
      else if (t[0] === '$enddefinitions') break;
    }
    const traces = text.split('\n').filter((l) => l.startsWith('top.'));
    expect(new Set(traces)).toEqual(declared);
    const filters = Object.fromEntries([...text.matchAll(/\^1 (\S+)\n(\S+)/g)].map((m) => [m[2], readFileSync(m[1], 'utf8')]));
    expect(filters['top.vm0.cpu_port.req_op[2:0]']).toContain('2 PCISTB\n');
    expect(filters['top.vm0.pfu.fsm[1:0]']).toContain('3 BLOCK\n');
    expect(filters['top.vm0.sbe.state[2:0]']).toContain('3 STREAM\n');
    expect(filters['top.vm0.pfu.chk_row[4:0]']).toContain('11 len>maxstbl\n');
    expect(Object.entries(filters).find(([k]) => /ism\.cmd.code/.test(k))?.[1]).toContain('10 REG_DMB\n');
  });

  it('--fst streams the trace into vcd2fst (and wave reads it back), or is refused saying GTKWave is missing', async () => {
    const fst = testWavePath('fst-kernel-demo').replace(/\.vcd$/, '.fst');
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const refused = await cli('run', 'kernel-demo', '--fst', fst);
      expect(refused.code).toBe(2);
      expect(refused.err).toContain("--fst needs GTKWave's vcd2fst, which is not installed");
    } finally {
      process.env.PATH = path;
    }
    if (spawnSync('sh', ['-c', 'command -v fst2vcd']).status !== 0) {
      console.warn('GTKWave not installed: --fst checked for its refusal only');
      return;
    }
    const r = await cli('run', 'kernel-demo', '--fst', fst);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^waveform\s+.*fst-kernel-demo\.fst/m);
    const back = execFileSync('fst2vcd', [fst], { encoding: 'utf8' });
    expect(back).toContain('$var reg 16 ');
    expect(back).toMatch(/count \[15:0\]/);
    // wave reads the FST too, streamed through fst2vcd.
    const drawn = await cli('wave', fst, '--scope', 'demo.count', '--from', '5', '--cycles', '3', '--text');
    expect(drawn.err).toBe('');
    expect(drawn.out).toContain('|0x5|0x6|0x7');
    rmSync(fst);
  });

  it('--json writes the summary for CI, passed or failed', async () => {
    const json = testWavePath('summary').replace(/\.vcd$/, '.json');
    const r = await cli('run', 'pcistb', '--no-vcd', '--seed', '4', '--json', json);
    expect(r.code).toBe(0);
    const s = JSON.parse(readFileSync(json, 'utf8'));
    expect(s).toMatchObject({ tool: 'ism-sim', bench: 'pcistb', result: 'passed', config: { vms: 1, seed: 4, maxstbl: 4096 }, waveform: null });
    expect(s.instructions.PCISTB.cc0).toBe(120);
    const stdout = await cli('run', 'kernel-demo', '--no-vcd', '--json', '-');
    expect(JSON.parse(stdout.out).result).toBe('passed');
  });
});
