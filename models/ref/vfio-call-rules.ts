import { OP_NAMES, isMio } from '../../rtl/zpci/codes.ts';
import { VFIO_ISM_DRIVER_RULES, type ObservedInstruction } from './instruction-monitor.ts';
import type { ExpectedInstruction, FailedAnswer } from './vfio-ism-reference.ts';

/** A broken rule: the message names the rule first, then the call and what was seen. */
export class RuleBroken extends Error {
  constructor(
    readonly rule: string,
    call: string,
    detail: string,
  ) {
    super(`rule "${rule}" broken by ${call}: ${detail}`);
    this.name = 'RuleBroken';
  }
}

function where(i: ObservedInstruction): string {
  return `${i.kind} space ${i.pcias} len ${i.len} at 0x${i.offset.toString(16)}${i.kind === 'PCISTB' ? ` from 0x${i.gaddr.toString(16)}` : ''} (cycle ${i.cycle})`;
}

function describeExpected(i: ExpectedInstruction): string {
  return `${i.kind} space ${i.space} len ${i.len} at 0x${i.offset.toString(16)}`;
}

function answerOf(i: ObservedInstruction): string {
  return i.pic !== undefined ? `program check 0x${i.pic.toString(16)}` : `cc ${i.cc} status ${i.status}`;
}

/**
 * What the Linux driver may issue at all, whatever the call: handle-form instructions only, with
 * the handle current when the call began, PCILG of 1/2/4/8 bytes within a doubleword, PCISTB of at
 * most maxstbl within one 4 KiB page on the PCI side, and the driver's own invariants
 * (VFIO_ISM_DRIVER_RULES: a PCISTB source within one page, whatever the hardware enforces).
 */
export function checkLegality(seen: readonly ObservedInstruction[], maxstbl: number, fh: number, call: string): void {
  for (const i of seen) {
    if (isMio(i.op)) throw new RuleBroken('never an MIO form', call, `${OP_NAMES[i.op]} issued: ${where(i)}`);
    if (i.fh !== fh) throw new RuleBroken('the current function handle', call, `handle 0x${i.fh.toString(16)}, current 0x${fh.toString(16)}: ${where(i)}`);
    if (i.kind === 'PCILG') {
      if (i.len !== 1 && i.len !== 2 && i.len !== 4 && i.len !== 8) throw new RuleBroken('PCILG is 1, 2, 4 or 8 bytes', call, where(i));
      if (Number(i.offset % 8n) + i.len > 8) throw new RuleBroken('PCILG within one doubleword', call, where(i));
    } else if (i.kind === 'PCISTB') {
      if (i.len < 1 || i.len > maxstbl) throw new RuleBroken(`PCISTB at most maxstbl (${maxstbl})`, call, where(i));
      if (Number(i.offset % 4096n) + i.len > 4096) throw new RuleBroken('PCISTB crosses 4 KiB on the PCI side', call, where(i));
    }
    for (const rule of VFIO_ISM_DRIVER_RULES) if (rule.broken(i)) throw new RuleBroken(rule.name, call, where(i));
  }
}

/**
 * Checked first: an instruction after the failing one is the broken promise, whatever it looks
 * like (after the function went away, its handle is no longer the one the call began with).
 */
export function checkNothingAfterFailure(seen: readonly ObservedInstruction[], failure: { readonly at: number } | undefined, call: string): void {
  if (!failure) return;
  const answered = seen.filter((i) => i.cc !== 2);
  const extra = answered[failure.at + 1];
  if (extra) throw new RuleBroken('nothing issued after a failure', call, `${where(extra)} after instruction ${failure.at} failed`);
}

/** The driver retries a busy (cc 2) instruction unchanged: fold each retry into the instruction it repeats. */
export function foldBusyRetries(seen: readonly ObservedInstruction[], call: string): ObservedInstruction[] {
  const out: ObservedInstruction[] = [];
  for (let k = 0; k < seen.length; k++) {
    const i = seen[k];
    if (i.cc !== 2) {
      out.push(i);
      continue;
    }
    const next = seen[k + 1];
    if (!next || next.op !== i.op || next.pcias !== i.pcias || next.len !== i.len || next.offset !== i.offset || next.gaddr !== i.gaddr) {
      throw new RuleBroken('a busy instruction is retried unchanged', call, `${where(i)} answered busy, then ${next ? where(next) : 'nothing'}`);
    }
  }
  return out;
}

/**
 * The instruction sequence the reference expects, instruction by instruction, and the answer of
 * the failing one. Rules named after the driver's promise they check.
 */
export function checkSequence(
  seen: readonly ObservedInstruction[],
  expected: readonly ExpectedInstruction[],
  failure: { readonly at: number; readonly answer: FailedAnswer } | undefined,
  call: string,
): void {
  const sequenceRule = (e: ExpectedInstruction | undefined, s: ObservedInstruction | undefined): string => {
    const kind = e?.kind ?? s?.kind;
    if (kind === 'PCISTB') return 'one PCISTB per write';
    if (e?.space === 15 || s?.pcias === 15) return 'config space one aligned access at a time (vfio_pci_config_rw_single)';
    if (kind === 'PCILG') return 'PCILG widths of ism_vfio_pci_do_io_r';
    return 'instructions of the call';
  };
  for (let k = 0; k < Math.max(seen.length, expected.length); k++) {
    const s = seen[k];
    const e = expected[k];
    if (!e) {
      const rule = failure && k > failure.at ? 'nothing issued after a failure' : expected.length === 0 ? 'a refused call issues nothing' : sequenceRule(e, s);
      throw new RuleBroken(rule, call, `unexpected ${where(s!)} (expected ${expected.length} instruction${expected.length === 1 ? '' : 's'})`);
    }
    if (!s) throw new RuleBroken(sequenceRule(e, s), call, `${describeExpected(e)} was never issued (${seen.length} of ${expected.length} seen)`);
    if (s.kind !== e.kind || s.pcias !== e.space || s.len !== e.len || s.offset !== e.offset) {
      throw new RuleBroken(sequenceRule(e, s), call, `instruction ${k} is ${where(s)}, expected ${describeExpected(e)}`);
    }
  }
  if (failure) {
    const s = seen[failure.at];
    const a = failure.answer;
    const ok = 'pic' in a ? s.pic === a.pic : s.pic === undefined && s.cc === a.cc && (a.cc !== 1 || s.status === a.status);
    if (!ok) {
      const want = 'pic' in a ? `program check 0x${a.pic.toString(16)}` : `cc ${a.cc}${a.cc === 1 ? ` status ${a.status}` : ''}`;
      throw new RuleBroken('the hardware answers an injected fault as the check table says', call, `${where(s)} answered ${answerOf(s)}, expected ${want}`);
    }
  }
  for (let k = 0; k < seen.length; k++) {
    const s = seen[k];
    if (failure && k === failure.at) continue;
    if (s.pic !== undefined || s.cc !== 0) throw new RuleBroken('every instruction of a legal call succeeds', call, `${where(s)} answered ${answerOf(s)}`);
  }
}
