/** What gets published: the file list, the shipped .proto, and a public type surface without `any`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROTO_PATH } from '@mentra/livekit-bridge-client/proto';

const pkgDir = fileURLToPath(new URL('../../', import.meta.url));

test('npm pack ships only dist, proto, README and package.json', () => {
  // --ignore-scripts: do not rebuild (prepack) from inside the tests.
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: pkgDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const [info] = JSON.parse(out) as [{ files: { path: string }[] }];
  const paths = info.files.map((f) => f.path).sort();
  const outside = paths.filter((p) => !p.startsWith('dist/') && !p.startsWith('proto/') && p !== 'README.md' && p !== 'package.json');
  assert.deepEqual(outside, [], `unexpected files in the package: ${outside.join(', ')}`);
  for (const needed of ['dist/index.js', 'dist/index.d.ts', 'dist/proto.js', 'dist/proto.d.ts', 'dist/cli.js', 'proto/livekit_bridge.proto', 'README.md', 'package.json']) {
    assert.ok(paths.includes(needed), `${needed} is packed`);
  }
});

test('the shipped .proto is the repository contract and is what the package loads', () => {
  assert.equal(PROTO_PATH, resolve(pkgDir, 'proto/livekit_bridge.proto'));
  const contract = resolve(pkgDir, '../../proto/livekit_bridge.proto');
  assert.ok(existsSync(contract));
  assert.equal(readFileSync(PROTO_PATH, 'utf8'), readFileSync(contract, 'utf8'));
});

test('the public type declarations contain no `any`', () => {
  // Every .d.ts reachable from the package's exports, following relative imports.
  const entries = ['dist/index.d.ts', 'dist/proto.d.ts'].map((p) => resolve(pkgDir, p));
  const seen = new Set<string>();
  const queue = [...entries];
  const offenders: string[] = [];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/from\s+'(\.[^']+)\.js'/g)) {
      queue.push(join(dirname(file), `${match[1]}.d.ts`));
    }
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '').replace(/'[^'\n]*'/g, "''");
    if (/\bany\b/.test(code)) offenders.push(file.slice(pkgDir.length));
  }
  assert.ok(seen.size > 10, `followed the declarations (${seen.size} files)`);
  assert.deepEqual(offenders, []);
});
