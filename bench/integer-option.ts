import { InvalidArgumentError } from 'commander';

/** A commander argument parser for an integer option within [min, max]. */
export function integer(name: string, min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}
