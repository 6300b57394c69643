// Feature and label dictionaries.
//
// A feature is an expanded unigram template line (e.g. `U05:the/dog`); it is independent of the
// label (the model pairs every feature with every label). Features seen fewer than minCount times in
// the training data are dropped, and ids are assigned in descending order of count, ties broken by
// first occurrence, so the ordering is deterministic and the most frequent features are a prefix
// 0..E-1: a rule such as "the top fraction F of features" or "features seen at least N times"
// becomes "ids < E" (see edgeCount).
import type { Sentence } from '../data/types.js';
import { checkColumns, expandLine, type Template } from './template.js';

export interface DictionaryOptions {
  /** drop features seen fewer than minCount times (default 1: keep all) */
  minCount?: number;
}

export interface EdgeRule {
  /** features seen at least minCount times (for "count > N" pass N + 1) */
  minCount?: number;
  /** the most frequent fraction (0..1) of the dictionary: floor(topFraction * size) features */
  topFraction?: number;
}

export class FeatureDictionary {
  /** feature string of each id */
  readonly features: readonly string[];
  /** training count of each id, non-increasing */
  readonly counts: Int32Array;
  private readonly index: Map<string, number>;

  private constructor(features: string[], counts: Int32Array, index?: Map<string, number>) {
    this.features = features;
    this.counts = counts;
    if (!index) {
      index = new Map();
      for (let i = 0; i < features.length; i++) index.set(features[i]!, i);
    }
    this.index = index;
  }

  /** number of features */
  get size(): number {
    return this.features.length;
  }

  /** id of a feature string, or -1 when it is not in the dictionary */
  id(feature: string): number {
    return this.index.get(feature) ?? -1;
  }

  /**
   * E such that ids 0..E-1 are the features selected by the rule. With both minCount and
   * topFraction, both must hold (the smaller E).
   */
  edgeCount(rule: EdgeRule): number {
    if (rule.minCount === undefined && rule.topFraction === undefined) {
      throw new Error('edgeCount: give minCount and/or topFraction');
    }
    let e = this.size;
    if (rule.topFraction !== undefined) {
      const f = rule.topFraction;
      if (!(f >= 0 && f <= 1)) throw new Error(`edgeCount: topFraction must be in [0, 1], got ${f}`);
      e = Math.min(e, Math.floor(f * this.size + 1e-9));
    }
    if (rule.minCount !== undefined) {
      // counts are non-increasing: first id whose count is below minCount
      let lo = 0;
      let hi = this.size;
      const c = this.counts;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (c[mid]! >= rule.minCount) lo = mid + 1;
        else hi = mid;
      }
      e = Math.min(e, lo);
    }
    return e;
  }

  /** A dictionary from saved arrays (e.g. a model file); counts default to all 1. */
  static fromArrays(features: readonly string[], counts?: ArrayLike<number>): FeatureDictionary {
    const c = new Int32Array(features.length);
    if (counts) {
      if (counts.length !== features.length) throw new Error('FeatureDictionary: features and counts differ in length');
      c.set(counts);
    } else c.fill(1);
    const d = new FeatureDictionary(features.slice(), c);
    if (d.index.size !== features.length) throw new Error('FeatureDictionary: duplicate feature strings');
    return d;
  }

  /** Counts the template's features over the training sentences and numbers them (see top of file). */
  static build(sentences: readonly Sentence[], template: Template, opts: DictionaryOptions = {}): FeatureDictionary {
    const minCount = opts.minCount ?? 1;
    const index = new Map<string, number>();
    let counts = new Int32Array(1 << 16);
    let n = 0;
    const lines = template.unigram;
    const nl = lines.length;
    let checked = -1;
    for (const s of sentences) {
      const toks = s.tokens;
      const len = toks.length;
      if (len === 0) continue;
      const nc = toks[0]!.length;
      if (nc !== checked) {
        checkColumns(template, nc, s.source);
        checked = nc;
      }
      for (let i = 0; i < len; i++) {
        for (let t = 0; t < nl; t++) {
          const f = expandLine(lines[t]!, toks, i);
          const id = index.get(f);
          if (id !== undefined) counts[id]!++;
          else {
            if (n === counts.length) {
              const c2 = new Int32Array(n * 2);
              c2.set(counts);
              counts = c2;
            }
            index.set(f, n);
            counts[n++] = 1;
          }
        }
      }
    }
    // counting sort by descending count; equal counts keep first-occurrence order
    let maxCount = 0;
    for (let i = 0; i < n; i++) if (counts[i]! > maxCount) maxCount = counts[i]!;
    const start = new Int32Array(maxCount + 2); // start[c] = first new id of count c
    for (let i = 0; i < n; i++) if (counts[i]! >= minCount) start[counts[i]!]!++;
    let acc = 0;
    for (let c = maxCount; c >= 1; c--) {
      const k = start[c]!;
      start[c] = acc;
      acc += k;
    }
    const size = acc;
    const features: string[] = new Array<string>(size);
    const sorted = new Int32Array(size);
    for (const [key, tmp] of index) {
      const c = counts[tmp]!;
      if (c < minCount) {
        index.delete(key);
        continue;
      }
      const id = start[c]!++;
      index.set(key, id);
      features[id] = key;
      sorted[id] = c;
    }
    return new FeatureDictionary(features, sorted, index);
  }
}

/** Labels (tags), numbered in order of first appearance in the training data. */
export class LabelDictionary {
  readonly labels: readonly string[];
  private readonly index: Map<string, number>;

  private constructor(labels: string[]) {
    this.labels = labels;
    this.index = new Map(labels.map((l, i) => [l, i]));
    if (this.index.size !== labels.length) throw new Error('LabelDictionary: duplicate labels');
  }

  get size(): number {
    return this.labels.length;
  }

  /** id of a tag, or -1 when it was not seen in training */
  id(tag: string): number {
    return this.index.get(tag) ?? -1;
  }

  static fromLabels(labels: readonly string[]): LabelDictionary {
    return new LabelDictionary(labels.slice());
  }

  static build(sentences: readonly Sentence[]): LabelDictionary {
    const seen = new Set<string>();
    for (const s of sentences) for (const t of s.tags) seen.add(t);
    return new LabelDictionary([...seen]);
  }
}
