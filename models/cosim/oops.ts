/**
 * The C driver did something the kernel would oops on (a BUG(), a HARDENED_USERCOPY abort, a
 * bad kernel pointer, a trap). The driver instance is dead afterwards, as after a kernel oops in
 * its code: every later call fails with the same error.
 */
export class CosimOops extends Error {
  override readonly name = 'CosimOops';
}
