export * from './signal.ts';
export * from './errors.ts';
export * from './simulator.ts';
export * from './component.ts';
export * from './vcd-writer.ts';
