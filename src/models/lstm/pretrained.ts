// Pretrained embeddings for the Bi-LSTM's first input field (words; characters for segmentation),
// in the text format word2vec, GloVe and fastText write: one entry a line, the value then its D
// numbers separated by spaces (or tabs), with an optional first line "count D" (word2vec, fastText).
// Read in chunks, line by line, so that files of any size load (GloVe's and fastText's large files
// are 4-6 GB, past both V8's string limit and Node's 2 GiB readFileSync limit).
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { DataError } from '../../data/errors.js';

export interface PretrainedVectors {
  /** the entries kept, file order (after `normalize`; of two that meet, the first) */
  words: string[];
  dim: number;
  /** words.length x dim */
  vectors: Float32Array;
}

export interface PretrainedReadOptions {
  /** maps each entry's value as the model's field does (the word fields lowercase) */
  normalize?: (value: string) => string;
  /**
   * which entries to keep, given the normalized value and its rank among the file's distinct values
   * (0 = the first, usually the most frequent); default: all
   */
  keep?: (value: string, rank: number) => boolean;
  /** bytes read at a time (tests make it small to cross lines over chunk ends) */
  chunkBytes?: number;
}

const CHUNK = 64 * 2 ** 20;
// ignoreBOM: a U+FEFF is kept where it is; only the file's first line has its byte-order mark dropped
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Reads an embeddings text file; errors name the file and line. */
export function readPretrained(path: string, opts: PretrainedReadOptions = {}): PretrainedVectors {
  const normalize = opts.normalize ?? ((w: string) => w);
  const words: string[] = [];
  const seen = new Set<string>();
  let dim = 0;
  let declared = -1;
  let values = new Float32Array(0);
  let n = 0;
  let lineNo = 0;

  const onLine = (bytes: Uint8Array): void => {
    const line = ++lineNo;
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      throw new DataError(path, line, 'invalid UTF-8; an embeddings file must be UTF-8 text');
    }
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const parts = text.trimEnd().split(/[ \t]+/);
    if (parts.length === 1 && parts[0] === '') return;
    // word2vec / fastText header: "count D"
    if (line === 1 && parts.length === 2 && /^\d+$/.test(parts[0]) && /^\d+$/.test(parts[1])) {
      declared = Number(parts[1]);
      if (declared < 1) throw new DataError(path, line, `the header gives ${declared} dimensions`);
      return;
    }
    if (dim === 0) {
      dim = declared > 0 ? declared : parts.length - 1;
      if (dim < 1) throw new DataError(path, line, 'expected a value followed by its vector (numbers separated by spaces)');
      values = new Float32Array(4096 * dim);
    }
    const wrongCount = () => new DataError(path, line, `${parts.length - 1} numbers where the ${declared > 0 ? 'header' : 'first entry'} has ${dim}`);
    if (parts.length < dim + 1) throw wrongCount();
    if (parts.length > dim + 1 && Number.isFinite(Number(parts[parts.length - dim - 1]))) throw wrongCount();
    // a value may itself contain spaces (GloVe's larger files have a few): all but the last dim fields
    const word = normalize(parts.slice(0, parts.length - dim).join(' '));
    if (seen.has(word)) return;
    const rank = seen.size;
    seen.add(word);
    if (opts.keep && !opts.keep(word, rank)) return;
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
    words.push(word);
    n++;
  };

  const fd = openEmbeddings(path);
  try {
    const chunk = opts.chunkBytes ?? CHUNK;
    const buf = Buffer.alloc(chunk);
    let carry: Buffer = Buffer.alloc(0);
    for (;;) {
      const got = readSync(fd, buf, 0, chunk, null);
      if (got === 0) break;
      const data = carry.length ? Buffer.concat([carry, buf.subarray(0, got)]) : buf.subarray(0, got);
      let start = 0;
      for (let end = data.indexOf(0x0a, start); end >= 0; end = data.indexOf(0x0a, start)) {
        onLine(data.subarray(start, end));
        start = end + 1;
      }
      // the unfinished last line, copied: buf is read into again
      carry = Buffer.from(data.subarray(start));
    }
    if (carry.length) onLine(carry);
  } finally {
    closeSync(fd);
  }
  if (n === 0) throw new DataError(path, undefined, lineNo === 0 || dim === 0 ? 'no vectors: the embeddings file is empty' : 'no vectors: no entry of the file was kept');
  return { words, dim, vectors: values.slice(0, n * dim) };
}

function openEmbeddings(path: string): number {
  try {
    if (statSync(path).isDirectory()) throw new DataError(path, undefined, 'is a directory, not a file');
    return openSync(path, 'r');
  } catch (e) {
    if (e instanceof DataError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(path, undefined, code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? (e as Error).message})`);
  }
}
