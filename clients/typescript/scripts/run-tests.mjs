// `npm test`: builds the package if dist is missing or older than src, compiles the tests
// (test/**/*.ts -> dist-test/, importing the package by its own name, i.e. the built dist),
// then runs every compiled *.test.js with node's test runner. Only folders that exist run:
// test/unit now, test/e2e once it is added. `npm test -- unit` runs one folder.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');

function run(args, what) {
  const result = spawnSync(process.execPath, args, { cwd: pkgDir, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`run-tests: ${what} failed`);
    process.exit(result.status ?? 1);
  }
}

function files(dir, keep) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return files(path, keep);
    return keep(path) ? [path] : [];
  });
}

const newest = (paths) => Math.max(0, ...paths.map((p) => statSync(p).mtimeMs));
const distEntry = join(pkgDir, 'dist/index.js');
const sources = [...files(join(pkgDir, 'src'), (p) => p.endsWith('.ts') && !p.includes(`${join('src', 'generated')}`)),
  resolve(pkgDir, '../../proto/livekit_bridge.proto')].filter((p) => existsSync(p));
if (!existsSync(distEntry) || newest(sources) > statSync(distEntry).mtimeMs) {
  console.error('run-tests: dist is missing or older than src; building');
  run(['scripts/gen.mjs'], 'gen');
  rmSync(join(pkgDir, 'dist'), { recursive: true, force: true });
  run([tsc, '-p', 'tsconfig.json'], 'build');
}

const outDir = join(pkgDir, 'dist-test');
rmSync(outDir, { recursive: true, force: true });
run([tsc, '-p', 'test/tsconfig.json'], 'compiling the tests');

const only = process.argv.slice(2);
const tests = files(outDir, (p) => p.endsWith('.test.js'))
  .filter((p) => only.length === 0 || only.some((folder) => relative(outDir, p).split(/[\\/]/)[0] === folder))
  .sort();
if (tests.length === 0) {
  console.error(`run-tests: no test files found${only.length ? ` in ${only.join(', ')}` : ''}`);
  process.exit(1);
}
console.error(`run-tests: ${tests.map((p) => relative(outDir, p)).join(' ')}`);
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=60000', '--test-reporter=spec', ...tests], {
  cwd: pkgDir,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
