// Loads any model file (CRF or Bi-LSTM), dispatching on its header's format.
import { loadModel, ModelFileError } from '../io/model-file.js';
import { CrfTagger, type CrfHeader } from './crf/tagger.js';
import { LstmTagger, type LstmHeader } from './lstm/tagger.js';

export type Tagger = CrfTagger | LstmTagger;

export function loadTagger(path: string): Tagger {
  const { header, weights } = loadModel<CrfHeader | LstmHeader | { format?: unknown }>(path);
  const format = (header as { format?: unknown })?.format;
  if (format === 'asyngrad-crf') return CrfTagger.fromFile(path, header as CrfHeader, weights);
  if (format === 'asyngrad-lstm') return LstmTagger.fromFile(path, header as LstmHeader, weights);
  throw new ModelFileError(path, `not a tagger model (format ${JSON.stringify(format)})`);
}
