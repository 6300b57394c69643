// The built CLI end to end: train with --json, tag, eval, and clear errors with exit codes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageFile } from '../src/runtime/package-root.js';

const cli = packageFile('dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'asyngrad-cli-'));
function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function subset(name: string, n: number, dropLast = false): string {
  const text = readFileSync(packageFile('data', 'conll2000', name), 'utf8');
  let sents = text.split(/\n\s*\n/).slice(0, n);
  if (dropLast) sents = sents.map((s) => s.split('\n').map((l) => l.split(' ').slice(0, -1).join(' ')).join('\n'));
  const path = join(dir, `${name}-${n}${dropLast ? '-nolabel' : ''}`);
  writeFileSync(path, sents.join('\n\n') + '\n');
  return path;
}

describe('asyngrad CLI', () => {
  const train = subset('train.txt', 600);
  const test = subset('test.txt', 100);
  const model = join(dir, 'chunker.model');

  it('train --json prints one object per pass and a summary last', () => {
    const r = run('train', '--model', 'crf', '--task', 'chunking', '--train', train, '--test', test, '--threads', '2', '--mode', 'async', '--passes', '3', '--seed', '1', '--out', model, '--json');
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines.slice(0, 3).map((l) => l.pass)).toEqual([1, 2, 3]);
    const s = lines[3];
    expect(s.summary).toBe(true);
    expect(s.model).toBe('crf');
    expect(s.passes).toBe(3);
    expect(s.test.f1).toBeGreaterThan(70);
    expect(s.gradient_error_rate).toHaveLength(2);
    expect(s.seconds_per_pass).toBeGreaterThan(0);
  });

  it('eval scores the saved model like training did, and tag writes the tags', () => {
    const e = run('eval', '--model-file', model, '--test', test, '--json');
    expect(e.code, e.err).toBe(0);
    expect(JSON.parse(e.out).f1).toBeGreaterThan(70);
    const t = run('tag', '--model-file', model, '--input', subset('test.txt', 5, true));
    expect(t.code, t.err).toBe(0);
    const rows = t.out.trim().split('\n').filter((l) => l);
    expect(rows[0].split(' ')).toHaveLength(3); // word POS predicted-chunk
    expect(rows[0].split(' ')[2]).toMatch(/^(O|[BI]-[A-Z]+)$/);
  });

  it('bad options and bad files fail with one clear line and a meaningful exit code', () => {
    const a = run('train', '--threads', 'zero');
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/--threads must be an integer/);
    const b = run('train', '--task', 'chunking', '--train', join(dir, 'missing.txt'), '--passes', '1');
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/missing\.txt/);
    expect(b.err).not.toMatch(/at .*\.js:\d+/); // no stack trace without --debug
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, 'a B C\nb D\n');
    const c = run('train', '--task', 'chunking', '--train', bad, '--passes', '1');
    expect(c.code).toBe(1);
    expect(c.err).toMatch(/bad\.txt:2/);
    const d = run('eval', '--model-file', bad, '--test', test);
    expect(d.code).toBe(1);
    expect(d.err).toMatch(/not an asyngrad model/);
    const e = run('train', '--mode', 'fast', '--train', train, '--passes', '1');
    expect(e.code).toBe(2); // a bad option is a usage error, caught before the data is read
    expect(e.err).toMatch(/--mode must be one of serial, async, sync/);
    const f = run('train', '--sampling', 'random', '--train', train, '--passes', '1');
    expect(f.code).toBe(2);
    expect(f.err).toMatch(/--sampling must be one of shuffle, uniform/);
    const g = run('train', '--model', 'crf', '--batch', '4', '--train', train, '--passes', '1');
    expect(g.code).toBe(2);
    expect(g.err).toMatch(/--batch is for --model lstm/);
    const h = run('train', '--model', 'lstm', '--mode', 'sync', '--batch', '4', '--train', train, '--passes', '1');
    expect(h.code).toBe(2);
    expect(h.err).toMatch(/--batch applies to --mode serial and async/);
  });

  it('--help lists the options with their defaults', () => {
    const h = run('train', '--help');
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/--mode <m>.*\(default: "async"\)/);
    expect(h.out).toMatch(/--sr <len>/);
  });
});

describe('Ctrl-C', () => {
  it('SIGINT writes a checkpoint and exits 130; --resume finishes the run', async () => {
    const { spawn } = await import('node:child_process');
    const train = subset('train.txt', 3000);
    const ck = join(dir, 'sigint.ckpt');
    const child = spawn(process.execPath, [cli, 'train', '--model', 'crf', '--train', train, '--passes', '200', '--mode', 'serial', '--checkpoint', ck, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('"pass":2,')) child.kill('SIGINT');
    });
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(130);
    expect(err).toMatch(/checkpoint of pass \d+ written/);
    const r = run('train', '--model', 'crf', '--train', train, '--passes', '4', '--mode', 'serial', '--checkpoint', ck, '--resume', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out.trim().split('\n').pop()!).passes).toBe(4);
  });
});
