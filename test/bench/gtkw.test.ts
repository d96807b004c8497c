import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
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
