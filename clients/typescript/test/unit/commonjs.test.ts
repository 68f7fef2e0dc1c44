/**
 * The package loads from CommonJS as well as ESM: `require()` of the package and of its `/proto`
 * entry (Node >= 20.19 loads the ES module graph through require(esm); the package's exports
 * list a `require` condition).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

test('require() of the package works from a CommonJS module', () => {
  const script = `
    const { BridgeClient, Track } = require('@mentra/livekit-bridge-client');
    const { PROTO_PATH, SERVICE_NAME } = require('@mentra/livekit-bridge-client/proto');
    const client = new BridgeClient({ address: '127.0.0.1:1' });
    client.close();
    console.log(JSON.stringify({ client: typeof BridgeClient, tts: Track.TTS, proto: require('node:fs').existsSync(PROTO_PATH), service: SERVICE_NAME }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=commonjs', '--eval', script], { cwd: pkgDir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim()), { client: 'function', tts: 2, proto: true, service: 'mentra.livekit.bridge.LiveKitBridge' });
});
