/** Who may be running code that writes signals; the kernel keeps exactly one current. */
export const Role = {
  ELABORATION: 0,
  CLOCKED: 1,
  COMBINATIONAL: 2,
  TESTBENCH: 3,
  OBSERVER: 4,
  DISPOSED: 5,
} as const;
export type Role = (typeof Role)[keyof typeof Role];

export interface Writer {
  readonly name: string;
  readonly role: Role;
}

const PHASES = ['elaboration', 'clocked', 'combinational', 'testbench', 'observer', 'disposed'] as const;
export type Phase = (typeof PHASES)[number];

export function phaseName(role: Role): Phase {
  return PHASES[role];
}

/** Construction before the first cycle: writes set initial values and claim nothing. */
export const ELABORATION: Writer = { name: 'elaboration', role: Role.ELABORATION };
/** Code between step() calls or around run(): the testbench of the current cycle. */
export const TOP_LEVEL: Writer = { name: 'testbench (top level)', role: Role.TESTBENCH };
export const DISPOSED: Writer = { name: 'disposed', role: Role.DISPOSED };

export function observer(name: string): Writer {
  return { name, role: Role.OBSERVER };
}
