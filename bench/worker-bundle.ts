import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from './project.ts';

/**
 * A worker thread loading the TypeScript tree through tsx transforms every file on start-up
 * (about 1 s per worker), then loads rxjs and fast-check file by file. Instead the tree and the
 * packages it imports are bundled once with esbuild (tsx's own compiler) into one JavaScript file,
 * kept outside the tracked tree, and named by a hash of every source and package version it may
 * contain, so a changed source is never run from a stale bundle.
 */
export const BUNDLE_CACHE = join(PROJECT_ROOT, 'node_modules', '.cache', 'ism-sim', 'worker-bundles');

/** Everything a bundle of a bench entry can contain (arrows point down: bench → models → rtl). */
const SOURCE_DIRS = ['bench', 'models', 'rtl'];
const SOURCE_EXTENSIONS = new Set(['.ts', '.mts', '.js', '.mjs', '.json']);
/** What else changes esbuild's output: compiler settings and the installed packages' versions. */
const BUILD_FILES = ['tsconfig.json', 'package.json', 'package-lock.json', 'node_modules/.package-lock.json'];
/** Loaded only on demand (cosim's driver build), and large: left as imports, resolved from node_modules. */
const UNBUNDLED = ['binaryen', 'esbuild'];
/** A bundle nobody has started for this long is deleted when a new one is written. */
const UNUSED_MS = 60 * 60 * 1000;

/** Project-relative paths of the files the bundle hash covers, sorted. */
export function hashedSources(): string[] {
  const files = SOURCE_DIRS.flatMap((dir) =>
    readdirSync(join(PROJECT_ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => SOURCE_EXTENSIONS.has(extname(f)))
      .map((f) => join(dir, f)),
  );
  return [...files, ...BUILD_FILES.filter((f) => existsSync(join(PROJECT_ROOT, f)))].sort();
}

function sourceHash(entry: string, esbuildVersion: string): string {
  const hash = createHash('sha256').update(`esbuild ${esbuildVersion}\0node ${process.version}\0${entry}\0`);
  for (const f of hashedSources()) hash.update(f).update('\0').update(readFileSync(join(PROJECT_ROOT, f))).update('\0');
  return hash.digest('hex').slice(0, 24);
}

/**
 * Bundle `entry` (project-relative) into one ES module. `import.meta.url` keeps meaning each
 * source file's own URL (project.ts finds the project root by it). Also returns the files that
 * went in, relative to the project.
 */
export async function buildBundle(entry: string): Promise<{ code: string; inputs: string[] }> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node}`,
    external: UNBUNDLED,
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [
      {
        name: 'own-import-meta-url',
        setup(build) {
          build.onLoad({ filter: /\.m?ts$/ }, (args) => ({
            contents: readFileSync(args.path, 'utf8').replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
            loader: 'ts',
          }));
        },
      },
    ],
  });
  return { code: result.outputFiles[0].text, inputs: Object.keys(result.metafile.inputs) };
}

/**
 * The path of the bundle of `entry` for the current sources, built if missing; undefined if it
 * cannot be built (no esbuild, read-only node_modules, …): the caller then runs through tsx.
 * Two processes building at once each write a temporary file and rename it: both are complete.
 */
export async function cachedBundle(entry: string, cacheDir = BUNDLE_CACHE): Promise<string | undefined> {
  try {
    const { version } = await import('esbuild');
    const name = entry.replace(/[^A-Za-z0-9]+/g, '-');
    const path = join(cacheDir, `${name}-${sourceHash(entry, version)}.mjs`);
    if (existsSync(path)) {
      const now = new Date();
      utimesSync(path, now, now);
      return path;
    }
    const { code, inputs } = await buildBundle(entry);
    const hashed = new Set(hashedSources());
    // Packages are covered by the lock files; a source the hash does not cover could go stale.
    const unhashed = inputs.find((f) => !f.startsWith('node_modules/') && !hashed.has(f));
    if (unhashed !== undefined) return undefined;
    mkdirSync(cacheDir, { recursive: true });
    const temporary = `${path}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(temporary, code);
    renameSync(temporary, path);
    deleteUnused(cacheDir, name, path);
    return path;
  } catch {
    return undefined;
  }
}

/** Old bundles of this entry (and temporary files of killed builds) unused for an hour. */
function deleteUnused(cacheDir: string, name: string, keep: string): void {
  for (const f of readdirSync(cacheDir)) {
    const path = resolve(cacheDir, f);
    if (path === keep || !f.startsWith(`${name}-`)) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > UNUSED_MS) rmSync(path, { force: true });
    } catch {
      // Another process deleted it first.
    }
  }
}
