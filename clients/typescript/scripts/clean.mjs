// Removes build output folders given as arguments (relative to the package).
import { rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
for (const dir of process.argv.slice(2)) rmSync(resolve(pkgDir, dir), { recursive: true, force: true });
