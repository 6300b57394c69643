// The built CLI end to end: train with --json, tag, eval, and clear errors with exit codes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageFile } from '../src/runtime/package-root.js';
import { conlleval } from '../src/eval/conlleval.js';

const cli = packageFile('dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'asyngrad-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
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

  it('np-chunking: tag keeps the gold column as the task reads it, so conlleval over tag output agrees with eval', () => {
    const np = join(dir, 'np.model');
    expect(run('train', '--model', 'crf', '--task', 'np-chunking', '--train', train, '--passes', '2', '--mode', 'serial', '--out', np).code).toBe(0);
    const t = run('tag', '--model-file', np, '--input', test);
    expect(t.code, t.err).toBe(0);
    const rows = t.out.trim().split('\n').filter((l) => l !== '').map((l) => l.split(' '));
    // word POS gold predicted: the gold column has only NP chunks, as eval reads it
    expect(new Set(rows.map((r) => r[2]))).toEqual(new Set(['B-NP', 'I-NP', 'O']));
    expect(rows.some((r) => r[2] === 'O' && r[1] === 'VBD')).toBe(true);
    const gold = [rows.map((r) => r[2]!)], pred = [rows.map((r) => r[3]!)];
    const e = run('eval', '--model-file', np, '--test', test, '--json');
    expect(e.code, e.err).toBe(0);
    expect(conlleval(gold, pred).f1).toBeCloseTo(JSON.parse(e.out).f1, 1);
  });

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
    expect(s.best_pass).toBeUndefined();
    // --keep-best: the summary reports the best dev pass, and its scores are those of the model kept
    // (a rate of 2 without decay makes dev F1 fall after pass 1, so the kept pass is not the last)
    const kept = join(dir, 'kept.model');
    const k = run('train', '--train', train, '--test', test, '--dev', test, '--mode', 'serial', '--passes', '4', '--lr', '2', '--decay', '1', '--keep-best', '--out', kept, '--json');
    expect(k.code, k.err).toBe(0);
    const kl = k.out.trim().split('\n').map((l) => JSON.parse(l));
    const ks = kl.at(-1);
    const bestDev = Math.max(...kl.slice(0, 4).map((l) => l.dev.f1));
    expect(ks.best_pass).toBeLessThan(4);
    expect(kl[ks.best_pass - 1].dev.f1).toBe(bestDev);
    expect(ks.dev.f1).toBe(bestDev);
    expect(ks.test).toEqual(kl[ks.best_pass - 1].test);
    expect(ks.test).not.toEqual(kl[3].test);
    // the model written is that pass's: eval gives its test F1
    const ke = run('eval', '--model-file', kept, '--test', test, '--json');
    expect(JSON.parse(ke.out).f1).toBeCloseTo(ks.test.f1, 2);
  });

  it('eval scores the saved model like training did, and tag writes the tags', () => {
    const e = run('eval', '--model-file', model, '--test', test, '--json');
    expect(e.code, e.err).toBe(0);
    const score = JSON.parse(e.out);
    expect(score.f1).toBeGreaterThan(70);
    // without --json: conlleval's report, with the same figures
    const report = run('eval', '--model-file', model, '--test', test);
    expect(report.code, report.err).toBe(0);
    const lines = report.out.split('\n');
    expect(lines[0]).toBe(`processed ${score.tokens} tokens with ${score.phrases.gold} phrases; found: ${score.phrases.predicted} phrases; correct: ${score.phrases.correct}.`);
    expect(lines[1]).toMatch(new RegExp(`FB1: +${score.f1.toFixed(2)}$`));
    expect(lines.find((l: string) => /^ +NP: precision/.test(l))).toBeDefined();
    const noDict = run('eval', '--model-file', model, '--test', test, '--dictionary', train);
    expect(noDict.code).toBe(2);
    expect(noDict.err).toMatch(/--dictionary applies to pos .* and seg .*, not to chunking/);
    const t = run('tag', '--model-file', model, '--input', subset('test.txt', 5, true));
    expect(t.code, t.err).toBe(0);
    const rows = t.out.trim().split('\n').filter((l) => l);
    expect(rows[0].split(' ')).toHaveLength(3); // word POS predicted-chunk
    expect(rows[0].split(' ')[2]).toMatch(/^(O|[BI]-[A-Z]+)$/);
    // --probabilities, as CRF++'s -v1: "# P" before each sentence, tag/p on each token
    const v = run('tag', '--model-file', model, '--input', subset('test.txt', 5, true), '--probabilities');
    expect(v.code, v.err).toBe(0);
    const blocks = v.out.trim().split('\n\n').map((b) => b.split('\n'));
    expect(blocks).toHaveLength(5);
    for (const [head, ...tokens] of blocks) {
      const [, p] = /^# (\d\.\d{6})$/.exec(head)!;
      const ps = tokens.map((l) => /^\S+ \S+ (?:O|[BI]-[A-Z]+)\/(\d\.\d{6})$/.exec(l)![1]).map(Number);
      expect(Math.min(...ps)).toBeGreaterThanOrEqual(Number(p)); // no token is less sure than its sentence
    }
    expect(blocks.map((b) => b.slice(1).map((l) => l.split('/')[0]))).toEqual(t.out.trim().split('\n\n').map((b) => b.split('\n')));
  });

  it('dump shows the header, the transitions and the strongest weights', async () => {
    const d = run('dump', '--model-file', model, '--top', '5', '--json');
    expect(d.code, d.err).toBe(0);
    const j = JSON.parse(d.out);
    const { load } = await import(packageFile('dist', 'index.js'));
    const t = load(model);
    const { Y, F, labels, features } = t.header;
    expect(j).toMatchObject({ task: 'chunking', model: 'crf', features: F, rich_edge_features: 0, weights: t.weights.length });
    expect(j.transitions).toHaveLength(Y);
    expect(j.transitions[1][2]).toBeCloseTo(t.weights[1 * Y + 2], 6);
    expect(j.top_features).toHaveLength(5);
    expect(j.top_edges).toHaveLength(0);
    // the strongest node weights, largest |w| first, each as stored
    const node = Array.from(t.weights.subarray(Y * Y, Y * Y + F * Y) as Float32Array, Math.abs).sort((a, b) => b - a).slice(0, 5);
    expect(j.top_features.map((e: { weight: number }) => Math.abs(e.weight))).toEqual(node);
    for (const e of j.top_features) expect(t.weights[Y * Y + features.indexOf(e.feature) * Y + labels.indexOf(e.label)]).toBe(e.weight);
    const text = run('dump', '--model-file', model, '--top', '3');
    expect(text.out).toMatch(/^labels \(\d+\): .*B-NP/m);
    expect(text.out).toMatch(/^TRANSITIONS/m);
    expect(text.out.split('\n').filter((l) => /^  \(.*\) --> \S+: -?\d/.test(l))).toHaveLength(3);
    // a Bi-LSTM: its header and vocabulary sizes by input field, no CRF weights
    const lstm = join(dir, 'dump-lstm.model');
    expect(run('train', '--model', 'lstm', '--hidden', '4', '--train', subset('train.txt', 60), '--passes', '1', '--mode', 'serial', '--out', lstm).code).toBe(0);
    const l = JSON.parse(run('dump', '--model-file', lstm, '--json').out);
    expect(l).toMatchObject({ model: 'lstm', hidden: 4 });
    expect(Object.keys(l.vocabularies)).toEqual(['word', 'pos']);
    expect(l.transitions).toBeUndefined();
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

  it('data with other observation columns than training is refused, naming the file and line', () => {
    const twoCol = join(dir, 'test-2col.txt'); // word and chunk: the POS column is missing
    writeFileSync(twoCol, readFileSync(test, 'utf8').split('\n').map((l) => (l ? `${l.split(' ')[0]} ${l.split(' ')[2]}` : l)).join('\n'));
    const a = run('train', '--train', train, '--test', twoCol, '--passes', '1');
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/test-2col\.txt:1: 1 observation column, but the training data .* has 2/);
    const b = run('eval', '--model-file', model, '--test', twoCol);
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/test-2col\.txt:1: 1 observation column, but the model was trained on 2/);
    const c = run('train', '--train', twoCol, '--passes', '1');
    expect(c.code).toBe(1);
    expect(c.err).toMatch(/chunking with the bundled template reads 2 \(word, POS tag\)/);
    // tag: the gold column may stay (crf_test does the same); it is kept and the tag appended
    const t = run('tag', '--model-file', model, '--input', subset('test.txt', 3));
    expect(t.code, t.err).toBe(0);
    expect(t.out.split('\n')[0].split(' ')).toHaveLength(4); // word POS gold predicted
    // a tab-separated input comes back tab-separated
    const tabbed = join(dir, 'tabbed.txt');
    writeFileSync(tabbed, readFileSync(subset('test.txt', 2, true), 'utf8').replace(/ /g, '\t'));
    const tt = run('tag', '--model-file', model, '--input', tabbed);
    expect(tt.code, tt.err).toBe(0);
    expect(tt.out.split('\n')[0].split('\t')).toHaveLength(3);
    // --input - reads standard input, and tags it as it would the file
    const piped = spawnSync(process.execPath, [cli, 'tag', '--model-file', model, '--input', '-'], { input: readFileSync(tabbed), encoding: 'utf8' });
    expect(piped.status, piped.stderr).toBe(0);
    expect(piped.stdout).toBe(tt.out);
    const bad = spawnSync(process.execPath, [cli, 'tag', '--model-file', model, '--input', '-'], { input: 'He PRP\nsaid\n', encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/<stdin>:2:/);
    const words = join(dir, 'words-only.txt');
    writeFileSync(words, 'He\nreckons\n');
    const u = run('tag', '--model-file', model, '--input', words);
    expect(u.code).toBe(1);
    expect(u.err).toMatch(/words-only\.txt:1: 1 observation column, but the model was trained on 2/);
  });

  it('refuses options the chosen model or mode would ignore, and unwritable outputs, before reading data', () => {
    const cases: [string[], RegExp][] = [
      [['--model', 'lstm', '--l2', '1'], /--l2 applies to --model crf and dense-crf/],
      [['--model', 'crf', '--hidden', '10'], /--hidden applies to --model lstm/],
      [['--model', 'crf', '--edge-top', '0.4'], /--edge-top applies to --model dense-crf/],
      [['--model', 'crf', '--edge-l2', '4'], /--edge-l2 applies to --model dense-crf/],
      [['--model', 'dense-crf', '--edge-l2', '-1'], /--edge-l2/],
      [['--model', 'dense-crf', '--edge-top', '0.4', '--edge-above', '5'], /give one/],
      [['--mode', 'serial', '--threads', '2'], /--mode serial runs one thread/],
      [['--task', 'ner'], /--task must be one of chunking, np-chunking, pos, seg/],
      [['--lr', '0x10'], /--lr must be a number/],
      [['--sr', '0.5'], /--sr must be 0 \(off\) or a length of at least 1/],
      [['--keep-best'], /--keep-best selects on the development data: give --dev/],
      [['--patience', '3'], /--patience selects on the development data: give --dev/],
      [['--patience', '0', '--dev', 'x'], /--patience must be an integer from 1/],
      [['--out', join(dir, 'no-such-dir', 'm.model')], /the directory .*no-such-dir does not exist/],
      [['--out', dir], /is a directory/],
      [['--out', ''], /--out needs a file name/],
    ];
    for (const [args, msg] of cases) {
      const r = run('train', '--train', join(dir, 'never-read.txt'), '--passes', '1', ...args);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(2);
      expect(r.err, args.join(' ')).toMatch(msg);
    }
    const noB = join(dir, 'nob.txt');
    writeFileSync(noB, 'U00:%x[0,0]\n');
    const nb = run('train', '--train', train, '--template', noB, '--passes', '1');
    expect(nb.code).toBe(1);
    expect(nb.err).toMatch(/nob\.txt: the template has no B line/);
    const e = run('train', '--train', dir, '--passes', '1');
    expect(e.code).toBe(1);
    expect(e.err).toMatch(/is a directory, not a file/);
  });

  it('tag output piped into a reader that stops early ends quietly', () => {
    const big = subset('test.txt', 2000, true);
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${cli}" tag --model-file "${model}" --input "${big}" | head -1`], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0].split(' ')).toHaveLength(3);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
  });

  it('segmentation tag keeps blank input lines, so output lines match input lines', () => {
    const segTrain = join(dir, 'seg-train.txt');
    writeFileSync(segTrain, '我 爱 北京\n天安门 很 大\n你 好\n北京 天安门\n'.repeat(20));
    const segModel = join(dir, 'seg.model');
    const t = run('train', '--task', 'seg', '--train', segTrain, '--passes', '2', '--mode', 'serial', '--out', segModel);
    expect(t.code, t.err).toBe(0);
    const input = join(dir, 'seg-in.txt');
    writeFileSync(input, '我爱北京\n\n天安门\n   \n你好\n');
    const r = run('tag', '--model-file', segModel, '--input', input);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n');
    expect(lines.slice(0, 5).map((l) => l === '')).toEqual([false, true, false, true, false]);
    const v = run('tag', '--model-file', segModel, '--input', input, '--probabilities');
    expect(v.code).toBe(2);
    expect(v.err).toMatch(/--probabilities applies to column output/);
    // eval: the SIGHAN summary, with OOV recall given the training words
    const e = run('eval', '--model-file', segModel, '--test', segTrain, '--dictionary', segTrain);
    expect(e.code, e.err).toBe(0);
    expect(e.out).toMatch(/^=== TOTAL TRUE WORD COUNT:\t200$/m);
    expect(e.out).toMatch(/^=== OOV Rate:\t0\.000$/m);
    const tabs = run('eval', '--model-file', segModel, '--test', segTrain, '--dictionary', packageFile('data', 'ud-ewt-pos', 'dev.txt'));
    expect(tabs.code).toBe(1);
    expect(tabs.err).toMatch(/dev\.txt:1: a tab: --dictionary for seg takes segmented text/);
    // nothing to tag: no output, no error (as crf_test)
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '');
    const none = run('tag', '--model-file', segModel, '--input', empty);
    expect([none.code, none.out]).toEqual([0, '']);
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
    const done = Number(/checkpoint of pass (\d+) written/.exec(err)?.[1]);
    expect(done).toBeGreaterThanOrEqual(2);
    const r = run('train', '--model', 'crf', '--train', train, '--passes', String(done + 2), '--mode', 'serial', '--checkpoint', ck, '--resume', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out.trim().split('\n').pop()!).passes).toBe(done + 2);
    // without --json the run says which checkpoint it writes and where it resumed
    const text = run('train', '--model', 'crf', '--train', train, '--passes', String(done + 3), '--mode', 'serial', '--checkpoint', ck, '--checkpoint-every', '1', '--resume');
    expect(text.code, text.err).toBe(0);
    expect(text.out).toContain(`; checkpoint ${ck}`);
    expect(text.out).toContain(`resumed from ${ck} after pass ${done}`);
    // a checkpoint further on than --passes is refused, not silently returned
    const past = run('train', '--model', 'crf', '--train', train, '--passes', '1', '--mode', 'serial', '--checkpoint', ck, '--resume');
    expect(past.code).toBe(2);
    expect(past.err).toMatch(/more than --passes 1/);
  });

  it('SIGINT with --out writes the model: as it stood without a checkpoint, of the last finished pass with one', async () => {
    const { spawn } = await import('node:child_process');
    const train = subset('train.txt', 3000), test = subset('test.txt', 200);
    const interrupt = async (extra: string[]) => {
      const out = join(dir, `interrupted-${extra.length}.model`);
      const child = spawn(process.execPath, [cli, 'train', '--model', 'crf', '--train', train, '--test', test, '--passes', '200', '--mode', 'serial', '--out', out, '--json', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
      let so = '', err = '';
      child.stdout.on('data', (d) => {
        so += d;
        if (so.includes('"pass":2,')) child.kill('SIGINT');
      });
      child.stderr.on('data', (d) => (err += d));
      const code = await new Promise((r) => child.on('exit', r));
      expect(code).toBe(130);
      expect(JSON.parse(so.trim().split('\n').pop()!)).toMatchObject({ interrupted: true, model_file: out });
      const e = run('eval', '--model-file', out, '--test', test, '--json');
      expect(e.code, e.err).toBe(0);
      return { err, f1: JSON.parse(e.out).f1 as number, passes: so.trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.pass) };
    };
    const partial = await interrupt([]);
    expect(partial.err).toMatch(/the model as it stood \(\d+ passes and part of pass \d+\) written to/);
    expect(partial.f1).toBeGreaterThan(80);
    const exact = await interrupt(['--checkpoint', join(dir, 'interrupted.ckpt')]);
    const done = Number(/the model of pass (\d+) written to/.exec(exact.err)?.[1]);
    expect(done).toBeGreaterThanOrEqual(2);
    // the model is pass `done`'s: it scores what that pass's line said (lines round to 2 decimals)
    expect(exact.f1).toBeCloseTo(exact.passes.find((x) => x.pass === done).test.f1, 2);
  });

  it('the fresh-user audit: output paths checked first, --debug on every command, --lr as the library, threads capped at 64', () => {
    const test = subset('test.txt', 5);
    // checked before the model is read: no model needed to see it
    const out = run('tag', '--model-file', join(dir, 'any.model'), '--input', test, '--output', join(dir, 'no-such-dir', 'out.txt'));
    expect(out.code).toBe(2);
    expect(out.err.trim()).toMatch(/--output .*out\.txt: the directory .*no-such-dir does not exist$/);
    const ev = run('eval', '--model-file', join(dir, 'missing.model'), '--test', test, '--debug');
    expect(ev.code).toBe(1);
    expect(ev.err).toMatch(/missing\.model: no such file/);
    expect(ev.err).toMatch(/\n\s+at /);
    expect(run('dump', '--model-file', join(dir, 'missing.model'), '--debug').code).toBe(1);
    const lr = run('train', '--lr', '1e-13');
    expect(lr.code).toBe(2);
    expect(lr.err).toMatch(/--lr must be a number from 1e-12/);
    // on a machine with more logical CPUs than workers the default is the cap, not an error
    const preload = join(dir, 'cpus128.cjs');
    writeFileSync(preload, "require('node:os').availableParallelism = () => 128;\n");
    const help = spawnSync(process.execPath, ['--require', preload, cli, 'train', '--help'], { encoding: 'utf8' });
    expect(help.stdout).toMatch(/--threads <k>\s+worker threads \(default: 64\)/);
  });
});
