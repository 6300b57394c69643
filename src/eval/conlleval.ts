// Chunk precision / recall / F1 exactly as the CoNLL-2000 evaluation script conlleval.pl
// (version 2004-01-26, Erik Tjong Kim Sang) computes them, with its startOfChunk/endOfChunk rules
// for B, I, E, O (and the [ ] . tags it also knows). This covers IOB1, IOB2, IOE1 and IOE2: an I-
// after O starts a chunk, and a change of type inside a chunk ends it and starts a new one.
// A tag splits at its first '-' into prefix and type ("B-NP" -> B, NP; "O" -> O, no type); as in
// Perl, a type "0" counts as no type.
//
// The original script has no rules for S (IOBES single-token chunks): "S-NP S-NP" is one chunk there,
// and "E-NP B-NP" too. With { iobes: true } the S/E rules of the common IOBES extension of the script
// are added (B/I/E/S/O); on data without S tags and without E followed by B it gives the same result.
//
// Sentences are given as arrays of tags; between sentences (and after the last one) a boundary line
// is processed exactly as conlleval processes an empty line (as "O" for both, not counted as a token).

export interface ChunkScores {
  /** chunks in the gold data */
  foundCorrect: number;
  /** chunks in the predictions */
  foundGuessed: number;
  /** predicted chunks that match a gold chunk exactly (span and type) */
  correct: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface ConllevalResult {
  /** percent, as conlleval prints them */
  precision: number;
  recall: number;
  f1: number;
  /** token accuracy (percent): tags equal in prefix and type */
  accuracy: number;
  tokens: number;
  correctTags: number;
  foundCorrect: number;
  foundGuessed: number;
  correctChunks: number;
  /** per chunk type, types sorted as conlleval sorts them */
  byType: Record<string, ChunkScores>;
}

export interface ConllevalOptions {
  /** add the IOBES rules for S (and E followed by B) to the original ones (default false) */
  iobes?: boolean;
}

function endOfChunk(prevTag: string, tag: string, prevType: string, type: string, iobes: boolean): boolean {
  let end = false;
  if (prevTag === 'B' && tag === 'B') end = true;
  if (prevTag === 'B' && tag === 'O') end = true;
  if (prevTag === 'I' && tag === 'B') end = true;
  if (prevTag === 'I' && tag === 'O') end = true;
  if (prevTag === 'E' && tag === 'E') end = true;
  if (prevTag === 'E' && tag === 'I') end = true;
  if (prevTag === 'E' && tag === 'O') end = true;
  if (iobes) {
    if (prevTag === 'B' && tag === 'S') end = true;
    if (prevTag === 'I' && tag === 'S') end = true;
    if (prevTag === 'E' && (tag === 'S' || tag === 'B')) end = true;
    if (prevTag === 'S' && (tag === 'E' || tag === 'I' || tag === 'O' || tag === 'S' || tag === 'B')) end = true;
  }
  if (prevTag !== 'O' && prevTag !== '.' && prevType !== type) end = true;
  if (prevTag === ']' || prevTag === '[') end = true;
  return end;
}

function startOfChunk(prevTag: string, tag: string, prevType: string, type: string, iobes: boolean): boolean {
  let start = false;
  if (prevTag === 'B' && tag === 'B') start = true;
  if (prevTag === 'I' && tag === 'B') start = true;
  if (prevTag === 'O' && tag === 'B') start = true;
  if (prevTag === 'O' && tag === 'I') start = true;
  if (prevTag === 'E' && tag === 'E') start = true;
  if (prevTag === 'E' && tag === 'I') start = true;
  if (prevTag === 'O' && tag === 'E') start = true;
  if (iobes) {
    if ((prevTag === 'S' || prevTag === 'E') && tag === 'B') start = true;
    if ((prevTag === 'B' || prevTag === 'I' || prevTag === 'O' || prevTag === 'S' || prevTag === 'E') && tag === 'S') start = true;
    if (prevTag === 'S' && (tag === 'I' || tag === 'E')) start = true;
  }
  if (tag !== 'O' && tag !== '.' && prevType !== type) start = true;
  if (tag === '[' || tag === ']') start = true;
  return start;
}

const SPLIT = /^([^-]*)-(.*)$/;

function splitTag(t: string): [string, string] {
  const m = SPLIT.exec(t);
  if (!m) return [t, ''];
  const type = m[2]!;
  return [m[1]!, type === '0' ? '' : type]; // Perl: $type ? $type : ""
}

function scores(correct: number, foundGuessed: number, foundCorrect: number): ChunkScores {
  const precision = foundGuessed > 0 ? (100 * correct) / foundGuessed : 0;
  const recall = foundCorrect > 0 ? (100 * correct) / foundCorrect : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { foundCorrect, foundGuessed, correct, precision, recall, f1 };
}

/** Scores predicted chunk tags against gold ones, sentence by sentence, as conlleval.pl does. */
export function conlleval(
  gold: readonly (readonly string[])[],
  pred: readonly (readonly string[])[],
  opts: ConllevalOptions = {},
): ConllevalResult {
  if (gold.length !== pred.length) throw new Error(`conlleval: ${gold.length} gold sentences but ${pred.length} predicted`);
  const iobes = opts.iobes ?? false;
  let correctChunk = 0;
  let correctTags = 0;
  let foundCorrect = 0;
  let foundGuessed = 0;
  let tokenCounter = 0;
  let inCorrect = false;
  let lastCorrect = 'O';
  let lastCorrectType = '';
  let lastGuessed = 'O';
  let lastGuessedType = '';
  const correctChunkBy = new Map<string, number>();
  const foundCorrectBy = new Map<string, number>();
  const foundGuessedBy = new Map<string, number>();
  const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

  // one line of conlleval input; boundary lines are (O, O) and are not counted as tokens
  const step = (correctTag: string, guessedTag: string, boundary: boolean) => {
    let [correct, correctType] = splitTag(correctTag);
    let [guessed, guessedType] = splitTag(guessedTag);
    if (boundary) {
      correct = 'O';
      correctType = '';
      guessed = 'O';
      guessedType = '';
    }
    const endC = endOfChunk(lastCorrect, correct, lastCorrectType, correctType, iobes);
    const endG = endOfChunk(lastGuessed, guessed, lastGuessedType, guessedType, iobes);
    const startC = startOfChunk(lastCorrect, correct, lastCorrectType, correctType, iobes);
    const startG = startOfChunk(lastGuessed, guessed, lastGuessedType, guessedType, iobes);
    if (inCorrect) {
      if (endC && endG && lastGuessedType === lastCorrectType) {
        inCorrect = false;
        correctChunk++;
        inc(correctChunkBy, lastCorrectType);
      } else if (endC !== endG || guessedType !== correctType) {
        inCorrect = false;
      }
    }
    if (startC && startG && guessedType === correctType) inCorrect = true;
    if (startC) {
      foundCorrect++;
      inc(foundCorrectBy, correctType);
    }
    if (startG) {
      foundGuessed++;
      inc(foundGuessedBy, guessedType);
    }
    if (!boundary) {
      if (correct === guessed && guessedType === correctType) correctTags++;
      tokenCounter++;
    }
    lastGuessed = guessed;
    lastCorrect = correct;
    lastGuessedType = guessedType;
    lastCorrectType = correctType;
  };

  for (let s = 0; s < gold.length; s++) {
    const g = gold[s]!;
    const p = pred[s]!;
    if (g.length !== p.length) throw new Error(`conlleval: sentence ${s} has ${g.length} gold tags but ${p.length} predicted`);
    for (let i = 0; i < g.length; i++) step(g[i]!, p[i]!, false);
    step('O', 'O', true);
  }
  if (inCorrect) {
    correctChunk++;
    inc(correctChunkBy, lastCorrectType);
  }

  const overall = scores(correctChunk, foundGuessed, foundCorrect);
  const types = [...new Set([...foundCorrectBy.keys(), ...foundGuessedBy.keys()])].sort();
  const byType: Record<string, ChunkScores> = {};
  for (const t of types) {
    byType[t] = scores(correctChunkBy.get(t) ?? 0, foundGuessedBy.get(t) ?? 0, foundCorrectBy.get(t) ?? 0);
  }
  return {
    precision: overall.precision,
    recall: overall.recall,
    f1: overall.f1,
    accuracy: tokenCounter > 0 ? (100 * correctTags) / tokenCounter : 0,
    tokens: tokenCounter,
    correctTags,
    foundCorrect,
    foundGuessed,
    correctChunks: correctChunk,
    byType,
  };
}

/**
 * x formatted like C's printf("%.<digits>f"): ties in the exact binary value round to even (13/32 =
 * 40.625 prints 40.62 with 2 digits), where Number.prototype.toFixed rounds them up.
 */
export function printfFixed(x: number, digits: number): string {
  const exact = x.toFixed(100);
  const dot = exact.indexOf('.');
  const rest = exact.slice(dot + 1 + digits);
  if (/^50*$/.test(rest)) {
    // the last digit kept: the one before the point when no decimals are printed
    const lastDigit = exact.charCodeAt(digits > 0 ? dot + digits : dot - 1) - 48;
    if (lastDigit % 2 === 0) return exact.slice(0, digits > 0 ? dot + 1 + digits : dot); // round down to even
  }
  return x.toFixed(digits);
}

/** printf("%.2f"), as conlleval prints its percentages. */
export const printf2 = (x: number): string => printfFixed(x, 2);

/** The report conlleval.pl prints (without -l). */
export function formatConlleval(r: ConllevalResult): string {
  const f = (x: number) => printf2(x).padStart(6);
  let out =
    `processed ${r.tokens} tokens with ${r.foundCorrect} phrases; found: ${r.foundGuessed} phrases; correct: ${r.correctChunks}.\n`;
  if (r.tokens > 0) {
    out += `accuracy: ${f(r.accuracy)}%; precision: ${f(r.precision)}%; recall: ${f(r.recall)}%; FB1: ${f(r.f1)}\n`;
  }
  for (const [t, s] of Object.entries(r.byType)) {
    const row = `${t.padStart(17)}: precision: ${f(s.precision)}%; recall: ${f(s.recall)}%; FB1: ${f(s.f1)}  ${s.foundGuessed}\n`;
    out += row;
    // the script's duplicate filter treats the empty type as false: it prints that row twice when
    // the type occurs both in the gold data and in the predictions
    if (t === '' && s.foundCorrect > 0 && s.foundGuessed > 0) out += row;
  }
  return out;
}
