// Progress display for a training run: a cli-progress bar with ETA and tokens/s on a TTY; silent
// otherwise (and with --json).
import { SingleBar, Presets } from 'cli-progress';

export class PassProgress {
  private bar: SingleBar | null = null;
  private start = 0;

  constructor(private readonly enabled: boolean, private readonly tokensPerPass: number) {}

  begin(pass: number, passes: number, total: number): void {
    if (!this.enabled) return;
    this.start = performance.now();
    this.bar = new SingleBar(
      { format: `pass ${pass}/${passes} {bar} {percentage}% | ETA {eta}s | {tps} tokens/s`, hideCursor: true, clearOnComplete: true, stream: process.stderr },
      Presets.shades_classic,
    );
    this.bar.start(total, 0, { tps: '-' });
  }

  /** whether a pass's bar is showing */
  get active(): boolean {
    return this.bar !== null;
  }

  tick(done: number, total: number): void {
    if (!this.bar) return;
    const secs = (performance.now() - this.start) / 1000;
    const tps = secs > 0 ? Math.round(((done / Math.max(1, total)) * this.tokensPerPass) / secs) : 0;
    this.bar.update(done, { tps: tps.toLocaleString('en-US') });
  }

  end(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
