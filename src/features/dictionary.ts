// Feature and label dictionaries.
//
// A feature is an expanded template line (e.g. `U05:the/dog`); it is independent of the label (the
// model pairs every feature with every label, or with every label pair). Features seen fewer than
// minCount times in the training data are dropped, and ids are assigned in descending order of count,
// ties broken by first occurrence (token by token, template line by template line), so the numbering
// is deterministic and the most frequent features are a prefix 0..E-1: a rule such as "the top
// fraction F of features" or "features seen at least N times" becomes "ids < E" (see edgeCount).
// Edge-only features (from B lines with macros, strings starting with B) come first, ids
// 0..edgeOnly-1, each group in that order: they have edge weights whatever the rule, so E >= edgeOnly.
//
// Speed: the feature strings define the semantics (two lines that expand to the same string are the
// same feature), but looking up millions of concatenated strings is slow. A dictionary built here
// therefore also keeps a numeric index: the column values the template reads are interned to
// integers, and each template line maps the mixed-radix number of its values to the feature id. The
// string of a feature is built only the first time it is seen. Dictionaries loaded from saved arrays
// (fromArrays) have only the string index; lookups then expand strings (same result, slower).
import type { Sentence } from '../data/types.js';
import { checkColumns, checkTokenColumns, expandLine, type Template } from './template.js';

export interface DictionaryOptions {
  /** drop features seen fewer than minCount times (default 1: keep all) */
  minCount?: number;
}

export interface EdgeRule {
  /** features seen at least minCount times (for "count > N" pass N + 1) */
  minCount?: number;
  /** the most frequent fraction (0..1) of the U features: floor(topFraction * (size - edgeOnly)) of them */
  topFraction?: number;
}

/** Numeric index of a dictionary built from data (see the top of this file). */
interface FastIndex {
  /** texts of the template lines it was built for, in order */
  lineTexts: string[];
  /** column of each value slot */
  slotCol: number[];
  /** interned values of each slot's column (training values and padding symbols) */
  vocabs: Map<string, number>[];
  /** the padding symbols' ids per slot: padBefore[slot][k-1] is _B-k, padAfter[slot][k-1] is _B+k */
  padBefore: Int32Array[];
  padAfter: Int32Array[];
  /** tokens of padding needed before / after a sentence */
  before: number;
  after: number;
  lines: FastLine[];
}

interface FastLine {
  /** per macro: value slot, row offset, radix (vocabulary size of the slot) */
  slots: number[];
  rows: number[];
  radix: number[];
  /** mixed-radix key of the values -> feature id; null: the key would not fit a double exactly */
  map: NumTable | null;
}

/**
 * Open-addressing hash table from non-negative integer keys (< 2^53) to non-negative int32 values,
 * in typed arrays: much faster than a Map for millions of lookups.
 */
class NumTable {
  private keys: Float64Array;
  private vals: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
  }

  private static hash(key: number): number {
    const lo = key >>> 0;
    const hi = (key / 4294967296) >>> 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 16);
  }

  /** value of key, or -1 */
  get(key: number): number {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let i = NumTable.hash(key) & mask;
    for (;;) {
      const v = vals[i]!;
      if (v < 0 || keys[i] === key) return v;
      i = (i + 1) & mask;
    }
  }

  /** sets key (new or existing) to value >= 0 */
  set(key: number, value: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let i = NumTable.hash(key) & mask;
    for (;;) {
      if (vals[i]! < 0) {
        keys[i] = key;
        vals[i] = value;
        this.size++;
        return;
      }
      if (keys[i] === key) {
        vals[i] = value;
        return;
      }
      i = (i + 1) & mask;
    }
  }

  /** replaces every value v by f(v); entries mapped to a negative value are removed */
  remap(f: (v: number) => number): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    this.keys = new Float64Array(oldKeys.length);
    this.vals = new Int32Array(oldVals.length).fill(-1);
    this.size = 0;
    for (let i = 0; i < oldVals.length; i++) {
      if (oldVals[i]! < 0) continue;
      const v = f(oldVals[i]!);
      if (v >= 0) this.set(oldKeys[i]!, v);
    }
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    const cap = oldKeys.length * 2;
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < oldVals.length; i++) if (oldVals[i]! >= 0) this.set(oldKeys[i]!, oldVals[i]!);
  }
}

const PAD_B = (k: number) => `_B-${k}`;
const PAD_A = (k: number) => `_B+${k}`;

/** A feature of a B line with macros (edge weights only): a template line's strings start with its type, U or B. */
export function isEdgeOnlyFeature(feature: string): boolean {
  return feature.charCodeAt(0) === 66; // 'B'
}

function sameLines(fast: FastIndex, t: Template): boolean {
  const u = t.lines;
  if (u.length !== fast.lineTexts.length) return false;
  for (let i = 0; i < u.length; i++) if (u[i]!.text !== fast.lineTexts[i]) return false;
  return true;
}

export class FeatureDictionary {
  /** feature string of each id */
  readonly features: readonly string[];
  /** training count of each id, non-increasing within the edge-only features and within the rest */
  readonly counts: Int32Array;
  /** the edge-only features (B lines with macros) are ids 0..edgeOnly-1 */
  readonly edgeOnly: number;
  private readonly index: Map<string, number>;
  private readonly fast: FastIndex | null;
  private valueIds = new Int32Array(256);

  private constructor(features: string[], counts: Int32Array, index: Map<string, number> | null, fast: FastIndex | null) {
    this.features = features;
    this.counts = counts;
    let b = 0;
    while (b < features.length && isEdgeOnlyFeature(features[b]!)) b++;
    for (let i = b; i < features.length; i++) {
      if (isEdgeOnlyFeature(features[i]!)) throw new Error(`FeatureDictionary: edge-only feature ${JSON.stringify(features[i])} after the first U feature (they must come first)`);
    }
    this.edgeOnly = b;
    if (!index) {
      index = new Map();
      for (let i = 0; i < features.length; i++) index.set(features[i]!, i);
    }
    this.index = index;
    this.fast = fast;
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
   * E such that ids 0..E-1 are the edge-only features and the U features selected by the rule (the
   * fraction is of the U features). With both minCount and topFraction, both must hold (the smaller E).
   */
  edgeCount(rule: EdgeRule): number {
    if (rule.minCount === undefined && rule.topFraction === undefined) {
      throw new Error('edgeCount: give minCount and/or topFraction');
    }
    const b = this.edgeOnly;
    let e = this.size;
    if (rule.topFraction !== undefined) {
      const f = rule.topFraction;
      if (!(f >= 0 && f <= 1)) throw new Error(`edgeCount: topFraction must be in [0, 1], got ${f}`);
      e = Math.min(e, b + Math.floor(f * (this.size - b) + 1e-9));
    }
    if (rule.minCount !== undefined) {
      // counts are non-increasing after the edge-only features: first id whose count is below minCount
      let lo = b;
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

  /**
   * Feature ids of every (token, template line) of one sentence: out[i * lines + t] is the id of
   * line t at token i, or -1 when that feature is not in the dictionary. `out` must hold
   * tokens.length * template.lines.length entries. Columns are not checked here (checkColumns).
   */
  lookupSentence(template: Template, tokens: readonly (readonly string[])[], out: Int32Array): void {
    const lines = template.lines;
    const nl = lines.length;
    const len = tokens.length;
    const fast = this.fast;
    if (!fast || !sameLines(fast, template)) {
      for (let i = 0; i < len; i++) {
        for (let t = 0; t < nl; t++) out[i * nl + t] = this.index.get(expandLine(lines[t]!, tokens, i)) ?? -1;
      }
      return;
    }
    const vid = this.sentenceValues(fast, tokens, false);
    const ns = fast.slotCol.length;
    const pad = fast.before;
    for (let t = 0; t < nl; t++) {
      const fl = fast.lines[t]!;
      const map = fl.map;
      if (!map) {
        for (let i = 0; i < len; i++) out[i * nl + t] = this.index.get(expandLine(lines[t]!, tokens, i)) ?? -1;
        continue;
      }
      const { slots, rows, radix } = fl;
      const nm = slots.length;
      for (let i = 0; i < len; i++) {
        let key = 0;
        let m = 0;
        for (; m < nm; m++) {
          const v = vid[(i + rows[m]! + pad) * ns + slots[m]!]!;
          if (v < 0) break;
          key = key * radix[m]! + v;
        }
        let id = m < nm ? -1 : map.get(key);
        // a miss is decided by the string, which defines the feature (this only matters when
        // values contain the template's literal text, e.g. words with '/': "a/b"+"c" = "a"+"b/c")
        if (id < 0) id = this.index.get(expandLine(lines[t]!, tokens, i)) ?? -1;
        out[i * nl + t] = id;
      }
    }
  }

  /**
   * Interned values of a sentence, padding included: value of slot k at token i (i may be -before ..
   * len-1+after) is at ((i + before) * slots + k). Unknown values are -1 unless `grow` interns them.
   */
  private sentenceValues(fast: FastIndex, tokens: readonly (readonly string[])[], grow: boolean): Int32Array {
    const ns = fast.slotCol.length;
    const len = tokens.length;
    const need = (len + fast.before + fast.after) * ns;
    if (this.valueIds.length < need) this.valueIds = new Int32Array(Math.max(need, this.valueIds.length * 2));
    const vid = this.valueIds;
    for (let k = 0; k < ns; k++) {
      const vocab = fast.vocabs[k]!;
      const col = fast.slotCol[k]!;
      for (let j = 0; j < fast.before; j++) vid[j * ns + k] = fast.padBefore[k]![fast.before - 1 - j]!;
      for (let i = 0; i < len; i++) {
        const v = tokens[i]![col];
        if (v === undefined) throw new Error(`token ${i} has no column ${col}`);
        let id = vocab.get(v);
        if (id === undefined) {
          if (grow) vocab.set(v, (id = vocab.size));
          else id = -1;
        }
        vid[(i + fast.before) * ns + k] = id;
      }
      for (let j = 0; j < fast.after; j++) vid[(len + fast.before + j) * ns + k] = fast.padAfter[k]![j]!;
    }
    return vid;
  }

  /** A dictionary from saved arrays (e.g. a model file); counts default to all 1. */
  static fromArrays(features: readonly string[], counts?: ArrayLike<number>): FeatureDictionary {
    const c = new Int32Array(features.length);
    if (counts) {
      if (counts.length !== features.length) throw new Error('FeatureDictionary: features and counts differ in length');
      c.set(counts);
    } else c.fill(1);
    const d = new FeatureDictionary(features.slice(), c, null, null);
    if (d.index.size !== features.length) throw new Error('FeatureDictionary: duplicate feature strings');
    return d;
  }

  /** Counts the template's features over the training sentences and numbers them (see top of file). */
  static build(sentences: readonly Sentence[], template: Template, opts: DictionaryOptions = {}): FeatureDictionary {
    const minCount = opts.minCount ?? 1;
    const lines = template.lines;
    const nl = lines.length;

    // value slots: the distinct columns the template reads
    const slotCol: number[] = [];
    let before = 0;
    let after = 0;
    for (const tl of lines) {
      for (const m of tl.macros) {
        if (!slotCol.includes(m.col)) slotCol.push(m.col);
        before = Math.max(before, -m.row);
        after = Math.max(after, m.row);
      }
    }
    const ns = slotCol.length;
    const vocabs = slotCol.map(() => new Map<string, number>());
    const padBefore: Int32Array[] = [];
    const padAfter: Int32Array[] = [];
    const intern = (vocab: Map<string, number>, v: string) => {
      let id = vocab.get(v);
      if (id === undefined) vocab.set(v, (id = vocab.size));
      return id;
    };
    for (let k = 0; k < ns; k++) {
      padBefore.push(Int32Array.from({ length: before }, (_, j) => intern(vocabs[k]!, PAD_B(j + 1))));
      padAfter.push(Int32Array.from({ length: after }, (_, j) => intern(vocabs[k]!, PAD_A(j + 1))));
    }
    const fast: FastIndex = {
      lineTexts: lines.map((l) => l.text),
      slotCol,
      vocabs,
      padBefore,
      padAfter,
      before,
      after,
      lines: [],
    };
    const dict = new FeatureDictionary([], new Int32Array(0), new Map(), fast);

    // pass 1: check columns, intern every value the template reads
    let checked = -1;
    for (const s of sentences) {
      const toks = s.tokens;
      if (toks.length === 0) continue;
      const nc = toks[0]!.length;
      if (nc !== checked) {
        checkColumns(template, nc, s.source);
        checked = nc;
      }
      checkTokenColumns(template, s);
      dict.sentenceValues(fast, toks, true);
    }
    // radices are now fixed
    for (const tl of lines) {
      const slots = tl.macros.map((m) => slotCol.indexOf(m.col));
      const radix = slots.map((k) => vocabs[k]!.size);
      const range = radix.reduce((a, b) => a * b, 1);
      fast.lines.push({
        slots,
        rows: tl.macros.map((m) => m.row),
        radix,
        map: range <= Number.MAX_SAFE_INTEGER ? new NumTable() : null,
      });
    }

    // pass 2: count features; a new (line, values) key gets its string, which decides its identity
    const strIndex = dict.index;
    const featStr: string[] = [];
    let counts = new Int32Array(1 << 16);
    let n = 0;
    for (const s of sentences) {
      const toks = s.tokens;
      const len = toks.length;
      if (len === 0) continue;
      const vid = dict.sentenceValues(fast, toks, false);
      for (let i = 0; i < len; i++) {
        for (let t = 0; t < nl; t++) {
          // as in CRF++, a B line has no feature at the first token (no label pair ends there)
          if (i === 0 && lines[t]!.edgeOnly) continue;
          const fl = fast.lines[t]!;
          const map = fl.map;
          let key = 0;
          let id = -1;
          if (map) {
            const { slots, rows, radix } = fl;
            for (let m = 0; m < slots.length; m++) key = key * radix[m]! + vid[(i + rows[m]! + before) * ns + slots[m]!]!;
            id = map.get(key);
          }
          if (id < 0) {
            const f = expandLine(lines[t]!, toks, i);
            const known = strIndex.get(f);
            if (known !== undefined) id = known;
            else {
              if (n === counts.length) {
                const c2 = new Int32Array(n * 2);
                c2.set(counts);
                counts = c2;
              }
              strIndex.set(f, (id = n++));
              featStr.push(f);
            }
            if (map) map.set(key, id);
          }
          counts[id]!++;
        }
      }
    }

    // counting sort by descending count, the edge-only features first; equal counts keep
    // first-occurrence order
    let maxCount = 0;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (counts[i]! > maxCount) maxCount = counts[i]!;
      if (counts[i]! >= minCount) kept++;
    }
    const perm = new Int32Array(n).fill(-1);
    const features: string[] = new Array<string>(kept);
    const sorted = new Int32Array(kept);
    let size = 0;
    for (const edgeGroup of [true, false]) {
      const inGroup = (tmp: number) => counts[tmp]! >= minCount && isEdgeOnlyFeature(featStr[tmp]!) === edgeGroup;
      const next = new Int32Array(maxCount + 2); // next[c] = next final id for count c
      for (let i = 0; i < n; i++) if (inGroup(i)) next[counts[i]!]!++;
      for (let c = maxCount; c >= 1; c--) {
        const k = next[c]!;
        next[c] = size;
        size += k;
      }
      for (let tmp = 0; tmp < n; tmp++) {
        if (!inGroup(tmp)) continue;
        const c = counts[tmp]!;
        const id = next[c]!++;
        perm[tmp] = id;
        features[id] = featStr[tmp]!;
        sorted[id] = c;
      }
    }
    for (const [k, tmp] of strIndex) {
      const id = perm[tmp]!;
      if (id < 0) strIndex.delete(k);
      else strIndex.set(k, id);
    }
    for (const fl of fast.lines) if (fl.map) fl.map.remap((tmp) => perm[tmp]!);
    return new FeatureDictionary(features, sorted, strIndex, fast);
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
