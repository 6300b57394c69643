// Data readers, CRF++ template features and scorers: the public pieces.
export { DataError } from './errors.js';
export { tokenLine, type Sentence } from './types.js';
export { readColumnText, readColumnFile, decodeUtf8, type ColumnReadOptions } from './column.js';
export {
  readSegmentedText,
  readSegmentedFile,
  tagsToWords,
  wordsToTags,
  type SegmentedReadOptions,
} from './segmented.js';
export {
  addPosColumns,
  addSegColumns,
  posFeatures,
  wordShape,
  charClass,
  POS_DERIVED_COLUMNS,
  SEG_DERIVED_COLUMNS,
} from './derived.js';
export {
  parseTemplate,
  readTemplateFile,
  builtinTemplatePath,
  checkColumns,
  expandLine,
  expandToken,
  type Macro,
  type Template,
  type TemplateLine,
} from '../features/template.js';
export {
  FeatureDictionary,
  LabelDictionary,
  type DictionaryOptions,
  type EdgeRule,
} from '../features/dictionary.js';
export { extract, type Extracted, type ExtractOptions } from '../features/extract.js';
export { tokenAccuracy, labelAccuracy, type AccuracyResult } from '../eval/accuracy.js';
export {
  conlleval,
  formatConlleval,
  type ConllevalResult,
  type ConllevalOptions,
  type ChunkScores,
} from '../eval/conlleval.js';
export { sighanScore, type SegmentationResult, type SighanOptions } from '../eval/sighan.js';
