/**
 * The command refuses what it was asked (bad option value, unknown bench, unusable file): nothing
 * ran and nothing was written. `ism-sim` prints the message on one line and exits with code 2.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
