/** The demo CLI (package.json "bin") against the in-process test bridge. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TestBridge, sine } from '../support/test-bridge.js';
import { CLI, levelLines, runCli } from '../support/cli.js';

test('livekit-bridge-demo joins, plays a URL, prints incoming levels per second and leaves', async (t) => {
  assert.match(readFileSync(CLI, 'utf8'), /^#!\/usr\/bin\/env node\n/);
  const bridge = new TestBridge();
  await bridge.start();
  // The "room" sends a -20 dBFS tone to the user in 100 ms chunks, in real time.
  const tone = sine(100, -20);
  const feeder = setInterval(() => bridge.sendAudio('cli-user', tone), 100);
  t.after(() => {
    clearInterval(feeder);
    bridge.stop();
  });

  const { code, stdout, stderr } = await runCli([
    '--bridge', bridge.address, '--room', 'room-cli', '--user', 'cli-user', '--target', 'glasses',
    '--subscribe-target-audio', '--play', 'https://media.test/ok.mp3', '--volume', '0.5', '--duration', '2.6',
  ]);
  t.diagnostic(`stdout:\n${stdout}`);
  assert.equal(code, 0, stderr);
  assert.deepEqual(bridge.joins[0], {
    user_id: 'cli-user', room_name: 'room-cli', token: '', livekit_url: '', target_identity: 'glasses', subscribe_target_audio: true,
  });
  assert.equal(bridge.plays[0]?.volume, 0.5);
  assert.match(stderr, /joined room room-cli as PA_cli-user/);
  assert.match(stderr, /play completed at 300\/300 ms/);
  assert.deepEqual(bridge.leaves, ['cli-user']);

  const levels = levelLines(stdout);
  assert.ok(levels.length >= 2, `one line per second: ${stdout}`);
  assert.ok(levels.some((l) => l.samples >= 14_000), `about a second of audio per line: ${stdout}`);
  for (const level of levels.filter((l) => l.samples > 0)) {
    assert.ok(Math.abs(level.dbfs - -20) < 0.3, `level ${level.dbfs} dBFS for a -20 dBFS tone`);
  }
});

test('livekit-bridge-demo reports a failed playback with the HTTP status and a failed join with exit code 1', async (t) => {
  const bridge = new TestBridge();
  await bridge.start();
  t.after(() => bridge.stop());
  const played = await runCli(['--bridge', bridge.address, '--room', 'r', '--user', 'u', '--play', 'https://media.test/missing.mp3', '--duration', '0.5']);
  assert.equal(played.code, 0, played.stderr);
  assert.match(played.stderr, /play failed: playback of https:\/\/media.test\/missing.mp3 failed: HTTP 404 Not Found.*\[HTTP 404\]/);

  bridge.join = () => ({ success: false, error: 'room is full' });
  const refused = await runCli(['--bridge', bridge.address, '--room', 'r', '--user', 'u2']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /join failed: JoinRoom refused by the bridge: room is full/);

  const usage = await runCli(['--bridge', bridge.address]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--room is required/);
  const help = await runCli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: livekit-bridge-demo/);
});
