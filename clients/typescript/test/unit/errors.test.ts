import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { BridgePlaybackError, BridgeRpcError, parseHttpStatus } from '@mentra/livekit-bridge-client';

test('the HTTP status is read from the ways a bridge may word it', () => {
  assert.equal(parseHttpStatus('HTTP 404 Not Found fetching https://x/y.mp3'), 404);
  assert.equal(parseHttpStatus('fetch failed: HTTP status 503'), 503);
  assert.equal(parseHttpStatus('HTTP/1.1 403 Forbidden'), 403);
  assert.equal(parseHttpStatus('unexpected status code: 500'), 500);
  assert.equal(parseHttpStatus('server said 410 Gone'), 410);
  assert.equal(parseHttpStatus('decoder error: unsupported format'), undefined);
  assert.equal(parseHttpStatus('timeout after 3000 ms'), undefined);
});

test('BridgePlaybackError carries the bridge text and the parsed status', () => {
  const error = new BridgePlaybackError('req-1', 'https://x/y.mp3', 'HTTP 404 Not Found');
  assert.match(error.message, /HTTP 404 Not Found/);
  assert.equal(error.httpStatus, 404);
  assert.equal(error.requestId, 'req-1');
  assert.equal(error.name, 'BridgePlaybackError');
});

test('BridgeRpcError names the status code', () => {
  const error = new BridgeRpcError('JoinRoom', grpc.status.UNAVAILABLE, 'connect ECONNREFUSED');
  assert.equal(error.codeName, 'UNAVAILABLE');
  assert.match(error.message, /JoinRoom failed: UNAVAILABLE: connect ECONNREFUSED/);
});
