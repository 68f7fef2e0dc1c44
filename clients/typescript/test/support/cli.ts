/** Runs the package's demo CLI (package.json "bin") as a child process and collects its output. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkgDir = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${pkgDir}package.json`, 'utf8')) as { bin: Record<string, string> };
const binPath = pkg.bin['livekit-bridge-demo'];
assert.ok(binPath !== undefined, 'package.json declares the livekit-bridge-demo bin');
export const CLI = `${pkgDir}${binPath}`;

export function runCli(args: string[], timeoutMs = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The per-second level lines the CLI prints on stdout. */
export function levelLines(stdout: string): Array<{ dbfs: number; samples: number }> {
  return stdout.trim().split('\n').filter((line) => line.length > 0).map((line) => {
    const match = /^\s*(\d+)s\s+(-?[\d.]+|-inf) dBFS\s+peak\s+(-?[\d.]+|-inf) dBFS\s+(\d+) samples$/.exec(line);
    assert.ok(match, `line format: ${JSON.stringify(line)}`);
    return { dbfs: match[2] === '-inf' ? -Infinity : Number(match[2]), samples: Number(match[4]) };
  });
}
