import { writeFileSync } from 'node:fs';

/** `--json -`: the JSON is written to standard output. */
export const TO_STDOUT = '-';

/**
 * Where a command prints its human-readable lines: standard output, unless the JSON goes there
 * (`--json -`), so that a pipe (`| jq`) receives nothing but the JSON document.
 */
export function humanLines(json: string | undefined): (line: string) => void {
  return json === TO_STDOUT ? (line) => console.error(line) : (line) => console.log(line);
}

/** Write a JSON document (text ending in a newline) to the file, or to standard output for `-`. */
export function writeJson(json: string, text: string): void {
  if (json === TO_STDOUT) console.log(text.trimEnd());
  else writeFileSync(json, text);
}
