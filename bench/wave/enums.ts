/**
 * Names of the encoded values on the waveform, for `wave` pictures and GTKWave translate filter
 * files. Operation and command codes come from the RTL's own tables; the two state machines'
 * encodings are `const enum`s inside the RTL (pci-function-unit.ts Fsm, store-block-engine.ts
 * SbeState), copied here and pinned against those sources by test/bench/gtkw.test.ts.
 */
import { OP_NAMES } from '../../rtl/zpci/codes.ts';
import { IsmCmd } from '../../rtl/ism/commands.ts';

export const PFU_FSM_NAMES: Record<number, string> = { 0: 'IDLE', 1: 'CHECK', 2: 'ACCESS', 3: 'BLOCK' };

export const SBE_STATE_NAMES: Record<number, string> = { 0: 'IDLE', 1: 'HEADER', 2: 'FETCH', 3: 'STREAM', 4: 'DONE_WAIT' };

/** pfu.chk_row: the check-table row that decided the instruction (rtl/zpci/codes.ts CheckRow). */
export const CHECK_ROW_NAMES: Record<number, string> = {
  0: 'passed',
  1: 'problem-state',
  2: 'r2-odd',
  3: 'fh-not-enabled',
  4: 'fh-mismatch',
  5: 'func-error',
  6: 'bad-space',
  7: 'bar-len',
  8: 'cfg-len',
  9: 'cfg-range',
  10: 'offset-align',
  11: 'len>maxstbl',
  12: 'crosses-4K',
  13: 'src-align',
  14: 'device-region',
  15: 'storage-access',
  0x10: 'mio-unsupported',
  0x11: 'mio-no-function',
  0x12: 'src-crosses-4K',
};

export const CMD_CODE_NAMES: Record<number, string> = { 0: '-', ...Object.fromEntries(Object.entries(IsmCmd).map(([name, code]) => [code, name])) };

/** The enum each signal carries, by the end of its name. */
export const SIGNAL_ENUMS: readonly { readonly suffix: string; readonly file: string; readonly names: Record<number, string> }[] = [
  { suffix: 'cpu_port.req_op', file: 'req_op', names: OP_NAMES },
  { suffix: 'pfu.fsm', file: 'pfu_fsm', names: PFU_FSM_NAMES },
  { suffix: 'sbe.state', file: 'sbe_state', names: SBE_STATE_NAMES },
  { suffix: 'pfu.chk_row', file: 'chk_row', names: CHECK_ROW_NAMES },
  { suffix: 'ism.cmd_code', file: 'cmd_code', names: CMD_CODE_NAMES },
  { suffix: 'ism.cmd.code', file: 'cmd_code', names: CMD_CODE_NAMES },
];

/** The value names of a signal, if it carries an enum. */
export function enumOf(name: string): Record<number, string> | undefined {
  return SIGNAL_ENUMS.find((e) => name === e.suffix || name.endsWith(`.${e.suffix}`))?.names;
}
