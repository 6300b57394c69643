// Figures shaped like the paper's Figures 2 (dense CRF) and 3 (Bi-LSTM), and the Theorem 1 plot, as
// Vega-Lite specifications rendered headless: vega-lite compiles a spec to Vega, vega's View renders
// it to SVG without a browser (`renderer: 'none'` + `toSVG()`), and @resvg/resvg-js turns the SVG
// into a PNG. Nothing is fetched: the data are inline and fonts are the system's.
//   row 1: gradient-error rate of each worker per pass (AsynGrad with the most threads)
//   row 2: score per pass, AsynGrad vs the serial baseline
//   row 3: speed-up against threads, AsynGrad vs sync (oversubscribed points marked)
//   row 4: score per pass, AsynGrad with and without SR (CRF)
import { existsSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { TaskName } from '../train/tasks.js';
import { headline } from '../train/score.js';
import type { ExperimentResults, RunRecord } from './results.js';
import { metricName } from './report.js';
import type { TheoremResult } from './theorem.js';

type Spec = Record<string, unknown>;

const PANEL = { width: 250, height: 170 };
const FONT = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';
const CONFIG = {
  font: FONT,
  title: { fontSize: 15, anchor: 'start', subtitleFontSize: 11, subtitleColor: '#555' },
  axis: { labelFontSize: 10, titleFontSize: 11, grid: true },
  legend: { labelFontSize: 10, titleFontSize: 11, orient: 'right', labelLimit: 320 },
  view: { stroke: '#bbb' },
  concat: { spacing: 28 },
};
// every panel has its own series: color, shape and dash scales and legends are never merged across panels
const INDEPENDENT = {
  scale: { color: 'independent', shape: 'independent', strokeDash: 'independent' },
  legend: { color: 'independent', shape: 'independent', strokeDash: 'independent' },
};
const TASK_TITLE: Record<TaskName, string> = { chunking: 'Chunking', 'np-chunking': 'NP chunking', pos: 'POS tagging', seg: 'Word segmentation' };

function find(runs: RunRecord[], task: TaskName, method: string, threads?: number): RunRecord | undefined {
  return runs.find((r) => r.spec.task === task && r.spec.method === method && (threads === undefined || r.spec.threads === threads));
}

function scorePoints(r: RunRecord, series: string) {
  return r.history.filter((h) => h.test).map((h) => ({ pass: h.pass, score: headline(r.spec.task, h.test!), series }));
}

function passAxis(passes: number) {
  return { field: 'pass', type: 'quantitative', title: 'pass', scale: { domain: [1, Math.max(2, passes)] }, axis: { tickMinStep: 1, format: 'd' } };
}

function scorePanel(task: TaskName, title: string, subtitle: string, points: { pass: number; score: number; series: string }[], passes: number, order: string[]): Spec {
  return {
    title: { text: title, subtitle },
    ...PANEL,
    data: { values: points },
    mark: { type: 'line', point: true },
    encoding: {
      x: passAxis(passes),
      y: { field: 'score', type: 'quantitative', title: `test ${metricName(task)} (%)`, scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: 'method', sort: order },
    },
  };
}

/** The Figure 2 (CRF) / Figure 3 (Bi-LSTM) specification. */
export function experimentFigureSpec(res: ExperimentResults): Spec {
  const o = res.options;
  const runs = res.runs;
  const tasks = o.tasks.filter((t) => runs.some((r) => r.spec.task === t));
  const threads = [...new Set(o.threads)].sort((a, b) => a - b);
  const kmax = threads[threads.length - 1];
  const over = kmax > res.machine.cores;
  const kLabel = `${kmax} thread${kmax > 1 ? 's' : ''}${over ? ', oversubscribed' : ''}`;
  const base = o.model === 'crf' ? 'SGD' : 'Adam';
  // one row of panels per figure row, one column per task (null: no data for that panel)
  const rows: (Spec | null)[][] = [];

  // row 1: gradient-error rate per worker per pass
  rows.push(
    tasks.map((task) => {
      const r = find(runs, task, 'async', kmax);
      if (!r) return null;
      const values = r.history.flatMap((h) => h.gradientErrorRate.map((e, i) => ({ pass: h.pass, rate: 100 * e, worker: `thread ${i + 1}` })));
      return {
        title: { text: `${TASK_TITLE[task]}: gradient errors`, subtitle: `AsynGrad, ${kLabel}; each thread's rate per pass` },
        ...PANEL,
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x: passAxis(o.passes),
          y: { field: 'rate', type: 'quantitative', title: 'gradient-error rate (%)' },
          color: { field: 'worker', type: 'nominal', title: 'worker', sort: values.map((v) => v.worker).filter((w, i, a) => a.indexOf(w) === i) },
        },
      };
    }),
  );

  // row 2: score per pass, AsynGrad vs serial
  rows.push(
    tasks.map((task) => {
      const s = find(runs, task, 'serial'), a = find(runs, task, 'async', kmax);
      const aName = `AsynGrad (${kLabel})`;
      const points = [...(s ? scorePoints(s, base) : []), ...(a ? scorePoints(a, aName) : [])];
      return points.length ? scorePanel(task, `${TASK_TITLE[task]}: ${metricName(task)} per pass`, `AsynGrad vs ${base}`, points, o.passes, [base, aName]) : null;
    }),
  );

  // row 3: speed-up against threads
  rows.push(
    tasks.map((task) => {
      const values: Spec[] = [];
      for (const sp of res.speedups.filter((x) => x.task === task)) {
        const cores = sp.oversubscribed ? 'oversubscribed' : 'within cores';
        if (sp.async !== null) values.push({ threads: sp.threads, speedup: sp.async, method: 'AsynGrad', cores });
        if (sp.sync !== null) values.push({ threads: sp.threads, speedup: sp.sync, method: 'sync', cores });
        values.push({ threads: sp.threads, speedup: sp.threads, method: 'linear (ideal)', cores });
      }
      // the ideal line starts at the 1-thread baseline even when no 1-thread parallel run was made
      if (!values.some((v) => v.threads === 1)) values.push({ threads: 1, speedup: 1, method: 'linear (ideal)', cores: 'within cores' });
      const color = { field: 'method', type: 'nominal', title: 'method', scale: { domain: ['AsynGrad', 'sync', 'linear (ideal)'], range: ['#1f77b4', '#ff7f0e', '#aaaaaa'] } };
      const x = { field: 'threads', type: 'quantitative', title: 'threads', axis: { values: [...new Set([1, ...threads])], format: 'd' }, scale: { domain: [Math.min(1, threads[0]), kmax] } };
      const y = { field: 'speedup', type: 'quantitative', title: `speed-up over ${base} (×)`, scale: { zero: true } };
      const layers: Spec[] = [
        { mark: { type: 'line' }, encoding: { x, y, color, strokeDash: { condition: { test: "datum.method === 'linear (ideal)'", value: [4, 3] }, value: [1, 0] } } },
        {
          mark: { type: 'point', filled: true, size: 60 },
          transform: [{ filter: "datum.method !== 'linear (ideal)'" }],
          encoding: { x, y, color, shape: { field: 'cores', type: 'nominal', title: `threads vs ${res.machine.cores} cores`, scale: { domain: ['within cores', 'oversubscribed'], range: ['circle', 'triangle-up'] } } },
        },
      ];
      if (threads.some((k) => k > res.machine.cores)) {
        layers.push({
          data: { values: [{ cores: res.machine.cores, label: `${res.machine.cores} cores` }] },
          layer: [
            { mark: { type: 'rule', strokeDash: [2, 2], color: '#d62728' }, encoding: { x: { field: 'cores', type: 'quantitative' } } },
            { mark: { type: 'text', align: 'left', dx: 3, dy: -60, color: '#d62728', fontSize: 10 }, encoding: { x: { field: 'cores', type: 'quantitative' }, text: { field: 'label' } } },
          ],
        });
      }
      return {
        title: { text: `${TASK_TITLE[task]}: speed-up`, subtitle: `seconds per pass of ${base} / of the method` },
        ...PANEL,
        data: { values },
        layer: layers,
      };
    }),
  );

  // row 4: SR (CRF)
  if (o.model === 'crf') {
    const panels = tasks.map((task) => {
      const a = find(runs, task, 'async', kmax), s = find(runs, task, 'async-sr', kmax);
      if (!s) return null;
      const aName = `AsynGrad (${kLabel})`, sName = `AsynGrad + SR (length ${s.spec.sr})`;
      const points = [...(a ? scorePoints(a, aName) : []), ...scorePoints(s, sName)];
      return scorePanel(task, `${TASK_TITLE[task]}: ${metricName(task)} with SR`, 'AsynGrad with and without structure regularisation', points, o.passes, [aName, sName]);
    });
    rows.push(panels);
  }
  const empty = (task: TaskName): Spec => ({
    title: { text: TASK_TITLE[task], subtitle: 'no run for this panel' },
    ...PANEL,
    data: { values: [{}] },
    mark: { type: 'text', text: 'no data', color: '#888' },
  });

  const model = o.model === 'crf' ? (o.crf === 'dense-crf' ? 'dense CRF' : 'linear-chain CRF') : 'Bi-LSTM';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Figure ${o.model === 'crf' ? 2 : 3} (reproduced): ${model} trained with AsynGrad`,
      subtitle: `${res.machine.cpu}, ${res.machine.cores} cores; ${o.passes} pass${o.passes === 1 ? '' : 'es'}${o.limit ? `, first ${o.limit} sentences` : ''}; threads ${threads.join(', ')}${over ? ' (more threads than cores: oversubscribed)' : ''}`,
      fontSize: 17,
    },
    background: 'white',
    padding: 16,
    config: CONFIG,
    // a grid: rows as in the paper's figure, one column per task, cells aligned
    concat: rows.filter((r) => r.some((p) => p !== null)).flatMap((r) => r.map((p, i) => p ?? empty(tasks[i]))),
    columns: Math.max(1, tasks.length),
    resolve: INDEPENDENT,
  };
}

/** The Theorem 1 plot: measured E[f(w_t) − f(w*)] (mean, min–max band over seeds) against the bound, one panel per run. */
export function theoremFigureSpec(t: TheoremResult): Spec {
  const floor = 1e-12;
  const eps = t.constants.epsilon;
  const MEASURED = 'measured: mean of runs (band: min–max)';
  const BOUND = 'Theorem 1 bound (q/2)·a_t';
  const TARGET = `target ε = ${eps.toPrecision(3)}`;
  // powers of ten spanning every value, for readable log-axis ticks
  const all = t.configs.flatMap((k) => k.curve.flatMap((p) => [p.gapMin, p.gapMax, p.bound])).concat([eps]).map((v) => Math.max(floor, v));
  const lo = Math.floor(Math.log10(Math.min(...all))), hi = Math.ceil(Math.log10(Math.max(...all)));
  const ticks = Array.from({ length: hi - lo + 1 }, (_, i) => Math.pow(10, lo + i));
  const yScale = { type: 'log', domain: [ticks[0], ticks[ticks.length - 1]] };
  const x = { field: 'updates', type: 'quantitative', title: 'updates t', axis: { format: '~s' } };
  const y = { field: 'value', type: 'quantitative', title: 'f(w_t) − f(w*)', scale: yScale, axis: { values: ticks, format: '.0e' } };
  const color = { field: 'series', type: 'nominal', title: null, scale: { domain: [MEASURED, BOUND, TARGET], range: ['#1f77b4', '#d62728', '#2ca02c'] } };
  const dash = { field: 'series', type: 'nominal', title: null, scale: { domain: [MEASURED, BOUND, TARGET], range: [[1, 0], [6, 3], [2, 2]] } };
  const panels = t.configs.map((k) => {
    const values = k.curve.flatMap((p) => [
      { updates: p.updates, value: Math.max(floor, p.gap), lo: Math.max(floor, p.gapMin), hi: Math.max(floor, p.gapMax), series: MEASURED },
      { updates: p.updates, value: Math.max(floor, p.bound), lo: null, hi: null, series: BOUND },
    ]);
    return {
      title: {
        text: `${k.name}${k.oversubscribed ? ' (oversubscribed)' : ''}`,
        subtitle: [
          `γ = ${k.gamma.toPrecision(3)}, τ = ${k.tau === 0 ? '0' : k.tau.toPrecision(2)}, gradient errors ${(100 * k.measured.errorRate).toFixed(1)}%`,
          `t = ${k.updatesTheorem} updates${k.capped ? ` (ran ${k.updatesRun})` : ''}`,
        ],
      },
      width: 300,
      height: 200,
      data: { values },
      layer: [
        { mark: { type: 'area', opacity: 0.2, color: '#1f77b4' }, transform: [{ filter: 'datum.lo !== null' }], encoding: { x, y: { field: 'lo', type: 'quantitative', scale: yScale }, y2: { field: 'hi' } } },
        { mark: { type: 'line', strokeWidth: 2 }, encoding: { x, y, color, strokeDash: dash } },
        {
          data: { values: [{ value: eps, series: TARGET }] },
          mark: { type: 'rule' },
          encoding: { y: { field: 'value', type: 'quantitative', scale: yScale }, color, strokeDash: dash },
        },
      ],
    };
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Theorem 1: measured E[f(w_t) − f(w*)] against the bound, L2 logistic regression',
      subtitle: `N = ${t.problem.N}, D = ${t.problem.D}, C = ${t.problem.C}, L2 = ${t.problem.l2}; c = ${t.constants.c.used.toPrecision(3)}, q = ${t.constants.q.bound.toPrecision(3)}, κ = ${t.constants.kappa.used.toPrecision(3)}, β = ${t.constants.beta}, ε = ${eps.toPrecision(3)}; ${t.cores} cores`,
      fontSize: 16,
    },
    background: 'white',
    padding: 16,
    config: { ...CONFIG, legend: { ...CONFIG.legend, orient: 'bottom', direction: 'vertical' } },
    concat: panels,
    columns: 2,
    resolve: { scale: { y: 'shared', color: 'shared', strokeDash: 'shared' } },
  };
}

/** Whether resvg will find any font for the PNG's text (it only reads the system's). */
export function systemFontsPresent(): boolean {
  const dirs = ['/usr/share/fonts', '/usr/local/share/fonts', join(homedir(), '.fonts'), join(homedir(), '.local/share/fonts'), '/System/Library/Fonts', '/Library/Fonts', 'C:\\Windows\\Fonts'];
  return dirs.some((d) => existsSync(d));
}

/** An optional dependency of `experiment` (figures), or an error that says how to get it. */
async function optional<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    throw new Error(`experiment's figures need the optional packages vega, vega-lite and @resvg/resvg-js, which were not installed (${(e as Error).message.split('\n')[0]}): npm install vega vega-lite @resvg/resvg-js`);
  }
}

/** Renders a Vega-Lite spec to `<base>.svg` and `<base>.png` (2× scale); returns the two paths. */
export async function renderFigure(spec: Spec, base: string): Promise<{ svg: string; png: string }> {
  const vega = await optional(() => import('vega'));
  const vl = await optional(() => import('vega-lite'));
  const compiled = vl.compile(spec as unknown as import('vega-lite').TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  const { Resvg } = await optional(() => import('@resvg/resvg-js'));
  const png = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: 2 },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  }).render().asPng();
  const paths = { svg: `${base}.svg`, png: `${base}.png` };
  writeFileSync(paths.svg, svg);
  writeFileSync(paths.png, png);
  return paths;
}
