// Pretrained embeddings for the Bi-LSTM's first input field (words; characters for segmentation),
// in the text format word2vec, GloVe and fastText write: one entry a line, the value then its D
// numbers separated by spaces (or tabs), with an optional first line "count D" (word2vec, fastText).
// Read line by line from the bytes, so files beyond V8's 512 MB string limit load too.
import { readDataFile } from '../../data/column.js';
import { DataError } from '../../data/errors.js';

export interface PretrainedVectors {
  /** the entries' values, file order, duplicates (after `normalize`) dropped: the first one is kept */
  words: string[];
  dim: number;
  /** words.length x dim */
  vectors: Float32Array;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Reads an embeddings text file. `normalize` maps each entry's value as the model's field does (the
 * word fields lowercase), so that "The" and "the" meet; the first of two that meet is kept, as files
 * are usually sorted by frequency. Errors name the file and line.
 */
export function readPretrained(path: string, normalize: (w: string) => string = (w) => w): PretrainedVectors {
  const bytes = readDataFile(path);
  const words: string[] = [];
  const seen = new Set<string>();
  let dim = 0;
  let declared = -1;
  let values: Float32Array = new Float32Array(0);
  let n = 0;
  let start = 0;
  for (let line = 1; start < bytes.length; line++) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    let text: string;
    try {
      text = decoder.decode(bytes.subarray(start, end));
    } catch {
      throw new DataError(path, line, 'invalid UTF-8; an embeddings file must be UTF-8 text');
    }
    start = end + 1;
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const parts = text.trimEnd().split(/[ \t]+/);
    if (parts.length === 1 && parts[0] === '') continue;
    // word2vec / fastText header: "count D"
    if (line === 1 && parts.length === 2 && /^\d+$/.test(parts[0]) && /^\d+$/.test(parts[1])) {
      declared = Number(parts[1]);
      if (declared < 1) throw new DataError(path, line, `the header gives ${declared} dimensions`);
      continue;
    }
    if (dim === 0) {
      dim = declared > 0 ? declared : parts.length - 1;
      if (dim < 1) throw new DataError(path, line, 'expected a value followed by its vector (numbers separated by spaces)');
      values = new Float32Array(Math.max(1024, Math.min(1 << 24, Math.floor(bytes.length / (dim * 4)))) * dim);
    }
    if (parts.length < dim + 1) {
      throw new DataError(path, line, `${parts.length - 1} numbers where the ${declared > 0 ? 'header' : 'first entry'} has ${dim}`);
    }
    if (parts.length > dim + 1 && Number.isFinite(Number(parts[parts.length - dim - 1]))) {
      throw new DataError(path, line, `${parts.length - 1} numbers where the ${declared > 0 ? 'header' : 'first entry'} has ${dim}`);
    }
    // a value may itself contain spaces (GloVe's larger files have a few): all but the last dim fields
    const word = normalize(parts.slice(0, parts.length - dim).join(' '));
    if (seen.has(word)) continue;
    if ((n + 1) * dim > values.length) {
      const grown = new Float32Array(values.length * 2);
      grown.set(values);
      values = grown;
    }
    for (let j = 0; j < dim; j++) {
      const s = parts[parts.length - dim + j];
      const x = Number(s);
      if (s === '' || !Number.isFinite(x)) throw new DataError(path, line, `"${s}" is not a finite number (number ${j + 1} of the vector of "${word}")`);
      values[n * dim + j] = x;
    }
    seen.add(word);
    words.push(word);
    n++;
  }
  if (n === 0) throw new DataError(path, undefined, 'no vectors: the embeddings file is empty');
  return { words, dim, vectors: values.slice(0, n * dim) };
}
