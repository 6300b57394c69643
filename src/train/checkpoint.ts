// Checkpoint files (the model-file container, format 'asyngrad-checkpoint'): the state vectors of a
// run (weights, and whatever else resuming needs: averaged weights, Adam moments), the number of
// finished passes, the history so far, and a fingerprint of the data and options that change the
// result, so that a checkpoint is never resumed into a different run.
import { existsSync } from 'node:fs';
import { crc32 } from '../io/crc32.js';
import { loadModel, ModelFileError, saveModel } from '../io/model-file.js';
import type { PassReport } from './train-crf.js';

export interface CheckpointHeader {
  format: 'asyngrad-checkpoint';
  /** passes finished */
  pass: number;
  elapsed: number;
  /** model-specific counters (averaging count, optimizer step…) */
  counters: Record<string, number>;
  /** lengths of the state vectors stored one after another */
  lengths: number[];
  fingerprint: Record<string, unknown>;
  history: PassReport[];
}

export interface Checkpoint {
  header: CheckpointHeader;
  vectors: Float32Array[];
}

export function writeCheckpoint(path: string, header: Omit<CheckpointHeader, 'format' | 'lengths'>, vectors: Float32Array[]): void {
  const total = vectors.reduce((a, v) => a + v.length, 0);
  const all = new Float32Array(total);
  let o = 0;
  for (const v of vectors) {
    all.set(v, o);
    o += v.length;
  }
  saveModel(path, { format: 'asyngrad-checkpoint', lengths: vectors.map((v) => v.length), ...header }, all);
}

/** Fingerprint keys that are options, by the flag that sets them (the others are data and features). */
const OPTION_FLAGS: Record<string, string> = {
  task: '--task', model: '--model', mode: '--mode', threads: '--threads', sampling: '--sampling', seed: '--seed',
  lr0: '--lr', decay: '--decay', l2: '--l2', edgeL2: '--edge-l2', sr: '--sr', skip: 'skip', average: 'average', H: '--hidden',
  optimizer: '--optimizer', batch: '--batch', dropout: '--dropout', clip: '--clip', embeddings: '--embeddings', keepBest: '--keep-best', patience: '--patience',
  dims: 'the embedding sizes', pretrainedMax: '--pretrained-max',
};
/** Fingerprint keys that are hashes or counts of inputs: named, their values meaningless to show. */
const INPUT_NAMES: Record<string, string> = {
  templateHash: 'the --template file', pretrained: 'the --pretrained vectors', dev: 'the --dev data', featuresHash: 'the features (training data or template)',
  labelsHash: 'the labels (training data)', vocabHash: 'the vocabularies (training data or --pretrained)', tokens: 'the training data',
};

/**
 * Reads `path` if it exists (else null), refusing a foreign file, a checkpoint of another run
 * (naming the fingerprint fields that differ) or one whose vectors have other lengths.
 */
export function readCheckpoint(path: string, fingerprint: Record<string, unknown>, lengths: number[]): Checkpoint | null {
  if (!existsSync(path)) return null;
  const { header, weights } = loadModel<CheckpointHeader>(path);
  if (header?.format !== 'asyngrad-checkpoint') throw new ModelFileError(path, 'not an asyngrad checkpoint');
  // the keys of both: an option the checkpoint was made with and this run lacks differs too
  const keys = [...new Set([...Object.keys(fingerprint), ...Object.keys(header.fingerprint ?? {})])];
  // null and absent are the same "not set" (a session-9 build stored pretrainedMax: null)
  const value = (x: unknown) => JSON.stringify(x ?? null);
  const diff = keys.filter((k) => value(fingerprint[k]) !== value(header.fingerprint?.[k]));
  if (diff.length) {
    // options by the flag that sets them, with both values; data and features by what they are
    const show = (k: string) => {
      if (INPUT_NAMES[k]) return INPUT_NAMES[k];
      const flag = OPTION_FLAGS[k];
      if (!flag) return k;
      const v = (x: unknown) => (x === undefined ? 'not set' : JSON.stringify(x));
      return `${flag} (checkpoint ${v(header.fingerprint?.[k])}, this run ${v(fingerprint[k])})`;
    };
    throw new ModelFileError(path, `cannot resume: the checkpoint differs from this run in ${diff.map(show).join(', ')}`);
  }
  if (!Array.isArray(header.lengths) || JSON.stringify(header.lengths) !== JSON.stringify(lengths)) throw new ModelFileError(path, 'cannot resume: the stored state has other sizes');
  const vectors: Float32Array[] = [];
  let o = 0;
  for (const n of lengths) {
    vectors.push(weights.subarray(o, o + n));
    o += n;
  }
  return { header, vectors };
}

export function hashStrings(xs: readonly string[]): number {
  let h = 0;
  const enc = new TextEncoder();
  for (const x of xs) h = crc32(enc.encode(x + '\n'), h);
  return h;
}
