// What the Bi-LSTM reads per token: one embedding per input field, concatenated (I = sum of dims).
// Chunking: the word and its POS tag; POS: the word and its 3-letter suffix; segmentation: the
// character and the character bigram ending at it. Hidden sizes follow the paper (170 POS,
// 280 chunking, 220 segmentation) with I = H.
import type { Sentence } from '../../data/types.js';
import { taskKind, type TaskName } from '../../train/tasks.js';

export interface InputField {
  name: string;
  dim: number;
  /** the field's value for token t of a sentence (as read, before derived columns) */
  value(s: Sentence, t: number): string;
  /** whether a string can be a value of the field (pretrained entries that cannot are left out); default: any */
  accepts?(value: string): boolean;
}

export interface LstmShape {
  fields: InputField[];
  /** input size: sum of field dims */
  I: number;
  H: number;
}

const word = (s: Sentence, t: number) => s.tokens[t][0].toLowerCase();

export function taskInputs(task: TaskName): LstmShape {
  const kind = taskKind(task);
  const fields: InputField[] =
    kind === 'chunking'
      ? [
          { name: 'word', dim: 200, value: word },
          { name: 'pos', dim: 80, value: (s, t) => s.tokens[t][1] ?? '' },
        ]
      : kind === 'pos'
        ? [
            { name: 'word', dim: 120, value: word },
            { name: 'suffix3', dim: 50, value: (s, t) => { const w = word(s, t); return w.length >= 3 ? w.slice(-3) : w; } },
          ]
        : [
            // a segmentation token is one character (code point): a pretrained word is no value
            { name: 'char', dim: 110, value: (s, t) => s.tokens[t][0], accepts: (v) => v.length > 0 && [...v].length === 1 },
            { name: 'bigram', dim: 110, value: (s, t) => (t > 0 ? s.tokens[t - 1][0] : '<s>') + s.tokens[t][0] },
          ];
  const I = fields.reduce((a, f) => a + f.dim, 0);
  return { fields, I, H: I };
}

/**
 * The shape with other embedding sizes per field (a model trained with pretrained vectors takes
 * their size for its first field); I follows, H is kept.
 */
export function withDims(shape: LstmShape, dims: readonly number[] | undefined): LstmShape {
  if (!dims) return shape;
  const fields = shape.fields.map((f, i) => ({ ...f, dim: dims[i] ?? f.dim }));
  return { fields, I: fields.reduce((a, f) => a + f.dim, 0), H: shape.H };
}

/** Per-field vocabularies: id 0 is UNK; ids by first occurrence in training. */
export class Vocab {
  readonly index = new Map<string, number>();
  readonly counts: number[] = [0];
  readonly values: string[] = ['<unk>'];

  static build(sentences: readonly Sentence[], field: InputField): Vocab {
    const v = new Vocab();
    for (const s of sentences) {
      for (let t = 0; t < s.tokens.length; t++) {
        const x = field.value(s, t);
        const id = v.index.get(x);
        if (id === undefined) v.add(x, 1);
        else v.counts[id]++;
      }
    }
    return v;
  }

  static fromValues(values: readonly string[]): Vocab {
    const v = new Vocab();
    for (let i = 1; i < values.length; i++) v.add(values[i], 1);
    return v;
  }

  /** Appends a value with the next id. */
  private add(x: string, count: number): void {
    this.index.set(x, this.values.length);
    this.values.push(x);
    this.counts.push(count);
  }

  get size(): number {
    return this.values.length;
  }

  /** Adds values not in the vocabulary (count 0: never seen in training), in order. */
  extend(values: readonly string[]): void {
    for (const x of values) if (!this.index.has(x)) this.add(x, 0);
  }

  id(x: string): number {
    return this.index.get(x) ?? 0;
  }
}

/** Token ids of every field, and "rare" bits (field f seen once in training: bit f). */
export interface LstmData {
  tokStart: Int32Array;
  ids: Int32Array[]; // one per field, nTok
  rare: Int32Array; // nTok bitmasks
  labels: Int32Array; // nTok, -1 when unknown
}

export function encode(sentences: readonly Sentence[], shape: LstmShape, vocabs: Vocab[], labelIndex: (tag: string) => number): LstmData {
  let nTok = 0;
  for (const s of sentences) nTok += s.tokens.length;
  const tokStart = new Int32Array(sentences.length + 1);
  const ids = shape.fields.map(() => new Int32Array(nTok));
  const rare = new Int32Array(nTok);
  const labels = new Int32Array(nTok);
  let j = 0;
  sentences.forEach((s, i) => {
    tokStart[i] = j;
    for (let t = 0; t < s.tokens.length; t++, j++) {
      shape.fields.forEach((f, fi) => {
        const id = vocabs[fi].id(f.value(s, t));
        ids[fi][j] = id;
        if (id > 0 && vocabs[fi].counts[id] === 1) rare[j] |= 1 << fi;
      });
      labels[j] = s.tags.length ? labelIndex(s.tags[t]) : -1;
    }
  });
  tokStart[sentences.length] = j;
  return { tokStart, ids, rare, labels };
}
