// Worker-side registry: model kind -> how to compute one sample's gradient.
import type { SampleGradientFactory } from '../engine/sample-gradient.js';
import { crfGradient } from './crf/gradient.js';
import { logregGradient } from './logreg/gradient.js';
import { lstmGradient } from './lstm/gradient.js';

const factories: Record<string, SampleGradientFactory> = {
  logreg: logregGradient,
  crf: crfGradient,
  lstm: lstmGradient,
};

export function registerGradient(kind: string, f: SampleGradientFactory): void {
  factories[kind] = f;
}

export function gradientFactory(kind: string): SampleGradientFactory {
  const f = factories[kind];
  if (!f) throw new Error(`no gradient registered for model kind "${kind}"`);
  return f;
}
