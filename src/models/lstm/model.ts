// Main-thread side of the Bi-LSTM tagger: embeddings per input field, a forward and a backward
// LSTM over the concatenated embeddings, and per token either a softmax over tags or (the
// Bi-LSTM-CRF) tag scores that a linear-chain CRF with a transition matrix reads. One parameter vector:
//   [embedding table of each field (V_f x d_f)] [forward LSTM W,b] [backward LSTM W,b] [output V,bV]
//   [transitions C x C (CRF output only)]
// Stamps (gradient errors): 0 forward LSTM, 1 backward LSTM, 2 output layer (with the transitions),
// 3 + r embedding row r.
import type { ArenaLayout } from '../../runtime/arena.js';
import type { TrainableModel } from '../../engine/engine.js';
import type { ModelPlan } from '../../engine/plan.js';
import type { Kernels } from '../../runtime/wasm.js';
import { Rng } from '../../runtime/rng.js';
import { lstmAdamTileBytes, lstmCacheFloats, lstmParamCount, lstmScratchBytes, softmaxParamCount } from '../../reference/lstm.js';
import { crfScratchBytes } from '../../reference/crf.js';
import type { LstmData, LstmShape } from './inputs.js';

const pad = (bytes: number) => Math.ceil(bytes / 64) * 64;

/** How serial and async updates treat the embedding tables (see LstmModel). */
export type EmbeddingUpdate = 'sparse' | 'lazy' | 'dense';
export const EMBEDDING_UPDATES: readonly EmbeddingUpdate[] = ['sparse', 'lazy', 'dense'];

/** The output layer: a softmax per token, or a linear-chain CRF over the tokens' tag scores. */
export type LstmOutput = 'softmax' | 'crf';

export interface LstmLayout {
  I: number;
  H: number;
  C: number;
  /** float offsets inside w */
  embOff: number[];
  dims: number[];
  vocab: number[];
  /** first stamp/row number of each field's embedding rows */
  rowBase: number[];
  fwdOff: number;
  bwdOff: number;
  outOff: number;
  /** CRF output: the transition matrix (C x C, previous-major) at transOff; else -1 */
  transOff: number;
  /** floats of the output block (softmax V,bV and, with a CRF, the transitions after them) */
  outLen: number;
  params: number;
}

export function lstmLayout(shape: LstmShape, vocabSizes: number[], C: number, output: LstmOutput = 'softmax'): LstmLayout {
  const { I, H } = shape;
  const embOff: number[] = [], rowBase: number[] = [];
  let off = 0, rows = 0;
  shape.fields.forEach((f, i) => {
    embOff.push(off);
    rowBase.push(rows);
    off += vocabSizes[i] * f.dim;
    rows += vocabSizes[i];
  });
  const fwdOff = off;
  const bwdOff = fwdOff + lstmParamCount(I, H);
  const outOff = bwdOff + lstmParamCount(I, H);
  const crf = output === 'crf';
  const outLen = softmaxParamCount(C, 2 * H) + (crf ? C * C : 0);
  const transOff = crf ? outOff + softmaxParamCount(C, 2 * H) : -1;
  const params = outOff + outLen;
  return { I, H, C, embOff, dims: shape.fields.map((f) => f.dim), vocab: vocabSizes, rowBase, fwdOff, bwdOff, outOff, transOff, outLen, params };
}

/**
 * Per-sentence working memory (worker scratch, or a decoder's), in bytes from its start. Training
 * (`train`) needs the backward buffers and, with dropout, the masks; decoding (the default) only the
 * forward ones, the output layer's and the chain's: regions a use does not need have size 0.
 */
export function lstmScratchLayout(L: LstmLayout, Tmax: number, use: { train?: boolean; dropout?: boolean } = {}) {
  const { I, H, C } = L;
  const train = use.train ?? false;
  const masks = train && (use.dropout ?? false);
  let o = 0;
  const take = (bytes: number) => { const r = o; o += pad(bytes); return r; };
  const r = {
    X: take(Tmax * I * 4),
    cacheF: take(lstmCacheFloats(H, Tmax) * 4),
    cacheB: take(lstmCacheFloats(H, Tmax) * 4),
    Hcat: take(Tmax * 2 * H * 4),
    // dL/dHcat in training; decoding's softmax probabilities write it too (softmax_xent)
    dHcat: take(Tmax * 2 * H * 4),
    dX: take(train ? Tmax * I * 4 : 0),
    // each direction's backward scratch: both directions' dZ are kept until the weights are written
    lstm: take(train ? lstmScratchBytes(H, Tmax) : 0),
    lstmB: take(train ? lstmScratchBytes(H, Tmax) : 0),
    // the fused Adam step's gradient tile (lstm_weight_adam)
    tile: take(train ? lstmAdamTileBytes(I, H) : 0),
    probs: take(Math.max(Tmax, 1) * C * 4),
    ids: take(Tmax * 4 * L.dims.length),
    // dropout masks (0 or 1/(1-p)) of the inputs and of the LSTM outputs
    maskX: take(masks ? Tmax * I * 4 : 0),
    maskH: take(masks ? Tmax * 2 * H * 4 : 0),
    out: take(Tmax * 4),
    // CRF output: the chain's forward-backward / Viterbi scratch, and the decoder's marginals
    chain: take(L.transOff >= 0 ? crfScratchBytes(C, Math.max(Tmax, 1), 0) : 0),
    marginals: take(L.transOff >= 0 && !train ? Math.max(Tmax, 1) * C * 4 : 0),
    bytes: 0,
  };
  r.bytes = o;
  return r;
}

export class LstmModel implements TrainableModel {
  readonly layout: LstmLayout;
  readonly maxLen: number;
  private plan: ModelPlan | null = null;
  evalOffset = -1;
  evalMaxLen = 1;

  /**
   * embeddings 'sparse': an update touches only the embedding rows its sentences used.
   * 'dense': every row, every update (Adam's moments then keep moving rows a sentence did not use,
   * as PyTorch's Adam does over a dense nn.Embedding; the sync engine always updates densely).
   * 'lazy' (default): Adam writes only the rows a sentence used, first moving each by the momentum steps it
   * missed since it was last used, and all rows at the end of a pass: dense Adam's result at sparse
   * cost (see assembly/update.ts, adam_apply_lazy). SGD has no momentum: lazy is sparse there.
   */
  constructor(readonly shape: LstmShape, vocabSizes: number[], C: number, readonly train: LstmData, readonly seed: number, evalSets: LstmData[] = [], readonly embeddings: EmbeddingUpdate = 'lazy', output: LstmOutput = 'softmax', readonly dropout = 0) {
    this.layout = lstmLayout(shape, vocabSizes, C, output);
    this.maxLen = maxLen(train);
    for (const d of evalSets) this.evalMaxLen = Math.max(this.evalMaxLen, maxLen(d));
  }

  get numSentences(): number {
    return this.train.tokStart.length - 1;
  }

  reserve(arena: ArenaLayout): ModelPlan {
    const L = this.layout;
    const nTok = this.train.labels.length;
    const rows = L.vocab.reduce((a, b) => a + b, 0);
    const scratch = lstmScratchLayout(L, this.maxLen, { train: true, dropout: this.dropout > 0 });
    const data: Record<string, number> = {
      I: L.I, H: L.H, C: L.C, fields: L.dims.length,
      fwdOff: L.fwdOff, bwdOff: L.bwdOff, outOff: L.outOff, transOff: L.transOff,
      tokStartOffset: arena.reserve('lstm sentence starts', this.train.tokStart.length * 4),
      labelsOffset: arena.reserve('lstm labels', nTok * 4),
      rareOffset: arena.reserve('lstm rare bits', nTok * 4),
      rows,
      maxLen: this.maxLen,
      seed: this.seed,
      denseEmbeddings: this.embeddings === 'dense' ? 1 : 0,
      dropout: this.dropout,
    };
    L.dims.forEach((d, i) => {
      data[`dim${i}`] = d;
      data[`embOff${i}`] = L.embOff[i];
      data[`rowBase${i}`] = L.rowBase[i];
      data[`idsOffset${i}`] = arena.reserve(`lstm ids ${i}`, nTok * 4);
    });
    this.evalOffset = arena.reserve('lstm decode scratch', lstmScratchLayout(L, this.evalMaxLen).bytes);
    this.plan = {
      kind: 'lstm',
      params: L.params,
      wOffset: arena.reserve('lstm weights', L.params * 4),
      numSamples: this.numSentences,
      stampCount: 3 + rows,
      listCapacity: 3 + L.dims.length * this.maxLen,
      maxListCapacity: 3 + rows,
      batchable: true,
      fusedAdam: true,
      // the three dense blocks, then each row (or, with dense embeddings, each table) once a batch
      uniqueList: true,
      // embedding row r (numbered through the fields' tables) has stamp 3 + r
      lazyRows: this.embeddings === 'lazy' ? { rowStamp: 3, tables: L.dims.map((dim, i) => ({ offset: L.embOff[i], dim, rows: L.vocab[i] })) } : undefined,
      // scratch: the sentence buffers, then a per-row marker (dedupes embedding rows in the list)
      scratchBytes: scratch.bytes + pad(rows * 4),
      data,
    };
    return this.plan;
  }

  fill(memory: WebAssembly.Memory, plan: ModelPlan, _k: Kernels): void {
    const d = plan.data;
    new Int32Array(memory.buffer, d.tokStartOffset, this.train.tokStart.length).set(this.train.tokStart);
    new Int32Array(memory.buffer, d.labelsOffset, this.train.labels.length).set(this.train.labels);
    new Int32Array(memory.buffer, d.rareOffset, this.train.rare.length).set(this.train.rare);
    this.train.ids.forEach((ids, i) => new Int32Array(memory.buffer, d[`idsOffset${i}`], ids.length).set(ids));
    initWeights(new Float32Array(memory.buffer, plan.wOffset, plan.params), this.layout, this.seed);
  }
}

function maxLen(d: LstmData): number {
  let m = 1;
  for (let s = 0; s + 1 < d.tokStart.length; s++) m = Math.max(m, d.tokStart[s + 1] - d.tokStart[s]);
  return m;
}

/**
 * Embeddings uniform in ±0.1 (the UNK rows too); LSTM weights uniform in ±1/sqrt(H) with the
 * forget-gate bias at 1 (so that memory is kept early in training); output layer uniform in
 * ±1/sqrt(2H); CRF transitions 0.
 */
export function initWeights(w: Float32Array, L: LstmLayout, seed: number): void {
  const rng = new Rng(seed, 0x157);
  const fill = (from: number, n: number, a: number) => { for (let i = from; i < from + n; i++) w[i] = (rng.next() * 2 - 1) * a; };
  L.dims.forEach((d, i) => fill(L.embOff[i], L.vocab[i] * d, 0.1));
  const { I, H, C } = L;
  for (const off of [L.fwdOff, L.bwdOff]) {
    fill(off, 4 * H * (I + H), 1 / Math.sqrt(H));
    const b = off + 4 * H * (I + H);
    w.fill(0, b, b + 4 * H);
    w.fill(1, b + H, b + 2 * H); // forget gate
  }
  fill(L.outOff, C * 2 * H, 1 / Math.sqrt(2 * H));
  w.fill(0, L.outOff + C * 2 * H, L.outOff + C * 2 * H + C);
  if (L.transOff >= 0) w.fill(0, L.transOff, L.transOff + C * C);
}
