// Build step 1: copy the bridge's API contract into the package (so it works when installed
// from npm) and generate TypeScript types for it with proto-loader-gen-types.
// The generator options here must match PROTO_LOADER_OPTIONS in src/proto.ts: the types
// describe exactly the objects @grpc/proto-loader produces at run time with those options.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const source = resolve(pkgDir, '../../proto/livekit_bridge.proto');
const protoDir = join(pkgDir, 'proto');
const genDir = join(pkgDir, 'src/generated');

if (!existsSync(source)) {
  console.error(`gen: ${source} not found (build from a checkout of the bridge repository)`);
  process.exit(1);
}
rmSync(protoDir, { recursive: true, force: true });
mkdirSync(protoDir, { recursive: true });
copyFileSync(source, join(protoDir, 'livekit_bridge.proto'));

rmSync(genDir, { recursive: true, force: true });
const require = createRequire(import.meta.url);
const generator = join(dirname(require.resolve('@grpc/proto-loader/package.json')), 'build/bin/proto-loader-gen-types.js');
const result = spawnSync(process.execPath, [
  generator,
  '--keepCase', '--longs=Number', '--enums=String', '--defaults', '--oneofs',
  '--includeComments',
  '--grpcLib=@grpc/grpc-js',
  '--importFileExtension=.js',
  // Received (fully populated) messages get the plain name, what you may send gets "Input".
  '--outputTemplate=%s', '--inputTemplate=%sInput',
  '-I', 'proto', '-O', 'src/generated',
  'livekit_bridge.proto',
], { stdio: 'inherit', cwd: pkgDir });
if (result.status !== 0) {
  console.error('gen: proto-loader-gen-types failed');
  process.exit(result.status ?? 1);
}
