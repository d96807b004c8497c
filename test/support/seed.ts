/**
 * The fast-check seed for property tests: FC_SEED from the environment, or the test's default.
 * Printed so that any failure can be reproduced with FC_SEED=<seed> npm test.
 */
export function propertySeed(defaultSeed: number, label: string): number {
  const fromEnv = process.env.FC_SEED;
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : defaultSeed;
  if (!Number.isInteger(seed)) throw new Error(`FC_SEED=${fromEnv} is not an integer`);
  console.log(`[property] ${label}: seed ${seed} (reproduce with FC_SEED=${seed})`);
  return seed;
}
