// The progress display of a whole experiment, on stderr: one line when a run starts, is skipped or
// ends (which run, its score and time, and the ETA of the rest), and on a terminal a cli-progress bar
// for the passes of the run in progress.
import { SingleBar, Presets } from 'cli-progress';
import type { ExperimentEvent } from './runner.js';

export function formatDuration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '–';
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60), h = Math.floor(m / 60);
  return h ? `${h} h ${String(m % 60).padStart(2, '0')} min` : `${m} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
}

export class ExperimentProgress {
  private bar: SingleBar | null = null;
  private pass = 0;
  private passes = 0;
  private started = 0;

  constructor(
    private readonly tty: boolean,
    private readonly write: (line: string) => void = (l) => process.stderr.write(l + '\n'),
  ) {}

  event(e: ExperimentEvent): void {
    switch (e.kind) {
      case 'skip':
        this.line(`[${e.index}/${e.total}] ${e.spec.model} ${e.spec.task} ${e.label}: finished earlier, skipped (runs/${e.spec.id}.json)`);
        break;
      case 'start':
        this.line(`[${e.index}/${e.total}] ${e.spec.model} ${e.spec.task} ${e.label}: started, ${e.spec.passes} pass${e.spec.passes === 1 ? '' : 'es'}; ETA for this and the remaining runs ${formatDuration(e.etaSeconds)}`);
        this.pass = 0;
        this.passes = e.spec.passes;
        this.started = performance.now();
        if (this.tty) {
          this.bar = new SingleBar(
            { format: '  pass {pass}/{passes} {bar} {percentage}% | this run: ETA {runEta}', hideCursor: true, clearOnComplete: true, stream: process.stderr },
            Presets.shades_classic,
          );
          this.bar.start(e.spec.passes, 0, { pass: 1, passes: e.spec.passes, runEta: '–' });
        }
        break;
      case 'pass':
        this.pass = e.report.pass;
        this.update(this.pass);
        break;
      case 'end': {
        const s = e.record.summary;
        const score = s.score === null ? '' : `${s.metric} ${s.score.toFixed(2)}, `;
        const errors = e.spec.method === 'async' || e.spec.method === 'async-sr' ? `, gradient errors ${(100 * s.meanGradientErrorRate).toFixed(1)}%` : '';
        this.line(`[${e.index}/${e.total}] ${e.spec.model} ${e.spec.task} ${e.label}: done in ${formatDuration(s.wallSeconds)}: ${score}${s.secondsPerPass.toFixed(3)} s/pass${errors}; ETA for the remaining runs ${formatDuration(e.etaSeconds)}`);
        break;
      }
      case 'ready':
        break;
      case 'note':
        this.line(e.message);
        break;
    }
  }

  /** within-pass progress of the run in progress */
  tick(done: number, total: number): void {
    if (!this.bar || total <= 0) return;
    this.update(this.pass + Math.min(1, done / total));
  }

  private update(value: number): void {
    if (!this.bar) return;
    const secs = (performance.now() - this.started) / 1000;
    // the run's own ETA: its elapsed time scaled by the passes left (scoring time included)
    const eta = value > 0 ? (secs / value) * (this.passes - value) : null;
    this.bar.update(value, { pass: Math.min(this.pass + 1, this.passes), passes: this.passes, runEta: formatDuration(eta) });
  }

  private line(s: string): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    }
    this.write(s);
  }

  close(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
