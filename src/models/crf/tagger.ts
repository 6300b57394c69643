// A trained CRF as a user holds it: dictionaries, template and weights; tags sentences, saves and
// loads the versioned model file (src/io/model-file.ts).
import type { Sentence } from '../../data/types.js';
import { checkObservationColumns } from '../../data/column.js';
import { FeatureDictionary, LabelDictionary } from '../../features/dictionary.js';
import { extract } from '../../features/extract.js';
import { parseTemplate, type Template } from '../../features/template.js';
import { loadModel, saveModel, ModelFileError } from '../../io/model-file.js';
import { ArenaLayout } from '../../runtime/arena.js';
import { compileKernels, heapBase, instantiate } from '../../runtime/wasm.js';
import { TASKS, isTaskName, taskSpec, type TaskName } from '../../train/tasks.js';
import { scoreTask, type Score } from '../../train/score.js';
import { crfParamCount } from '../../reference/crf.js';
import { CrfDecoder, reserveDecode, sentenceBounds } from './decoder.js';
import { toSentence, type SentenceInput, type TaggedWithProbabilities } from '../tagged.js';
import type { CrfData } from './model.js';

export interface CrfHeader {
  format: 'asyngrad-crf';
  task: TaskName;
  model: 'crf' | 'dense-crf';
  Y: number;
  F: number;
  E: number;
  labels: string[];
  template: string;
  templateSource: string;
  /** observation columns of the training data, before derived ones (absent in files before it was kept) */
  columns?: number;
  features: string[];
  /** how it was trained (informational) */
  training?: Record<string, unknown>;
}

export class CrfTagger {
  readonly template: Template;
  readonly dict: FeatureDictionary;
  readonly labels: LabelDictionary;

  constructor(readonly header: CrfHeader, readonly weights: Float32Array, dict?: FeatureDictionary) {
    const { Y, F, E } = header;
    if (weights.length !== crfParamCount(Y, F, E)) throw new Error(`CRF model: ${weights.length} weights, expected ${crfParamCount(Y, F, E)} for Y=${Y} F=${F} E=${E}`);
    this.template = parseTemplate(header.template, header.templateSource);
    this.dict = dict ?? FeatureDictionary.fromArrays(header.features);
    if (this.dict.edgeOnly > E) throw new Error(`CRF model: ${this.dict.edgeOnly} edge-only (B template) features but only ${E} with edge weights`);
    this.labels = LabelDictionary.fromLabels(header.labels);
  }

  get task(): TaskName {
    return this.header.task;
  }

  /** Observation columns as the model's template sees them (derived columns added). */
  prepare(sentences: Sentence[]): Sentence[] {
    return taskSpec(this.header.task).derive(sentences);
  }

  /** Features of prepared sentences; gold tags unseen in training get label -1 (always wrong). */
  features(prepared: Sentence[]): CrfData {
    return extract(prepared, this.template, this.dict, this.labels, { unknownTag: 'ignore' });
  }

  /** Best label ids for each sentence of data (a fresh shared memory sized for it). */
  decodeIds(data: CrfData): Int32Array[] {
    return this.decoder(data).decodeAll(data);
  }

  /** A decoder over a fresh memory holding the weights, sized for data's sentences. */
  private decoder(data: CrfData): CrfDecoder {
    const module = compileKernels();
    const arena = new ArenaLayout(heapBase(module));
    const wOffset = arena.reserve('crf weights', this.weights.length * 4);
    const b = sentenceBounds(data);
    const regions = reserveDecode(arena, this.header, b.maxLen, b.maxPairs);
    const memory = arena.createMemory();
    new Float32Array(memory.buffer, wOffset, this.weights.length).set(this.weights);
    return new CrfDecoder(instantiate(module, memory), memory, wOffset, this.header, regions);
  }

  /**
   * Tags for sentences: each sentence either a Sentence (as the readers return) or an array of
   * tokens, a token being a word or its observation columns (chunking: [word, POS]).
   */
  predict(sentences: readonly SentenceInput[]): string[][] {
    return this.predictSentences(sentences.map(toSentence));
  }

  /**
   * Tags with probabilities, as CRF++'s -v1 gives them: for each sentence its best tags, their joint
   * probability P(y* | x), and per token the marginal probability of its tag.
   */
  predictWithProbabilities(sentences: readonly SentenceInput[]): TaggedWithProbabilities[] {
    const sents = sentences.map(toSentence);
    const data = this.checkedFeatures(sents);
    const dec = this.decoder(data);
    return sents.map((_, s) => {
      const r = dec.decodeWithProbabilities(data, s);
      return { tags: Array.from(r.ids, (y) => this.header.labels[y]), probability: r.probability, marginals: Array.from(r.marginals) };
    });
  }

  /** Scores labeled sentences (or a labeled file in the task's format) like `asyngrad eval`. */
  evaluate(data: string | Sentence[]): Score {
    const sents = typeof data === 'string' ? taskSpec(this.task).read(data) : data;
    return scoreTask(this.task, sents, this.predictSentences(sents));
  }

  /** Features of sentences to tag, after checking they have the training data's observation columns. */
  private checkedFeatures(sentences: Sentence[]): CrfData {
    if (this.header.columns !== undefined) checkObservationColumns(sentences, this.header.columns, 'the model was trained on');
    return this.features(this.prepare(sentences));
  }

  private predictSentences(sentences: Sentence[]): string[][] {
    const ids = this.decodeIds(this.checkedFeatures(sentences));
    return ids.map((row) => Array.from(row, (y) => this.header.labels[y]));
  }

  save(path: string): void {
    saveModel(path, this.header, this.weights);
  }

  static load(path: string): CrfTagger {
    const { header, weights } = loadModel<CrfHeader>(path);
    return CrfTagger.fromFile(path, header, weights);
  }

  static fromFile(path: string, header: CrfHeader, weights: Float32Array): CrfTagger {
    if (header?.format !== 'asyngrad-crf') throw new ModelFileError(path, `not a CRF model (format "${(header as { format?: string })?.format}")`);
    const problem = crfHeaderProblem(header);
    if (problem) throw new ModelFileError(path, `corrupt CRF header (${problem})`);
    try {
      return new CrfTagger(header, weights);
    } catch (e) {
      throw new ModelFileError(path, (e as Error).message);
    }
  }
}

/** What is wrong with a decoded CRF header's shape and fields, or null when nothing is. */
function crfHeaderProblem(h: CrfHeader): string | null {
  const strings = (a: unknown): a is string[] => Array.isArray(a) && a.every((x) => typeof x === 'string');
  const { Y, F, E } = h;
  if (!(Number.isSafeInteger(Y) && Y >= 1 && Number.isSafeInteger(F) && F >= 0 && Number.isSafeInteger(E) && E >= 0 && E <= F)) {
    return `shape Y=${JSON.stringify(Y)} F=${JSON.stringify(F)} E=${JSON.stringify(E)}: need integers Y >= 1, F >= 0, 0 <= E <= F`;
  }
  if (h.columns !== undefined && !(Number.isSafeInteger(h.columns) && h.columns >= 1)) return `columns ${JSON.stringify(h.columns)} is not a positive integer`;
  if (!strings(h.labels) || h.labels.length !== Y) return `labels must be ${Y} strings`;
  if (!strings(h.features) || h.features.length !== F) return `features must be ${F} strings`;
  if (typeof h.template !== 'string' || typeof h.templateSource !== 'string') return 'template and templateSource must be strings';
  if (!isTaskName(h.task)) return `task ${JSON.stringify(h.task)} is not one of ${TASKS.join(', ')}`;
  if (h.model !== 'crf' && h.model !== 'dense-crf') return `model ${JSON.stringify(h.model)} is not crf or dense-crf`;
  return null;
}

