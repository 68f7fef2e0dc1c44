import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LevelMeter, formatDbfs, pcm16Dbfs } from '@mentra/livekit-bridge-client';
import { sine } from '../support/test-bridge.js';

test('a full-scale sine reads -3.01 dBFS, a -20 dBFS sine -20', () => {
  assert.ok(Math.abs(pcm16Dbfs(sine(1000, -3.0103)) - -3.01) < 0.05);
  assert.ok(Math.abs(pcm16Dbfs(sine(1000, -20)) - -20) < 0.05);
  assert.ok(Math.abs(pcm16Dbfs(sine(1000, -45)) - -45) < 0.1);
});

test('a full-scale square wave reads 0 dBFS; silence -inf', () => {
  const square = Buffer.alloc(3200);
  for (let i = 0; i < 1600; i++) square.writeInt16LE(i % 2 === 0 ? 32767 : -32768, i * 2);
  assert.ok(Math.abs(pcm16Dbfs(square)) < 0.01);
  assert.equal(pcm16Dbfs(Buffer.alloc(3200)), -Infinity);
  assert.equal(formatDbfs(-Infinity), '-inf');
  assert.equal(formatDbfs(-20.04), '-20.0');
});

test('LevelMeter joins samples split across buffers and resets on read()', () => {
  const pcm = sine(500, -12);
  const meter = new LevelMeter();
  // Odd-sized pieces split samples between pushes.
  for (let offset = 0; offset < pcm.length; offset += 333) meter.push(pcm.subarray(offset, offset + 333));
  const level = meter.read();
  assert.equal(level.samples, 8000);
  assert.ok(Math.abs(level.dbfs - -12) < 0.05, `got ${level.dbfs}`);
  assert.ok(level.peakDbfs > level.dbfs);
  assert.deepEqual(meter.read(), { dbfs: -Infinity, peakDbfs: -Infinity, samples: 0 });
});
