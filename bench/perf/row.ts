/** One line of `npm run bench` output and of bench/RESULTS.md. */
export interface PerfRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}
