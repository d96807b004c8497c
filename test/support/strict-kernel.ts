import { Simulator } from '../../rtl/hdl/simulator.ts';

// The whole suite runs the kernel in strict mode: a combinational read outside the sensitivity list fails the test.
Simulator.defaults.strict = true;
