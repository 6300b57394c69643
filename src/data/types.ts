// One sentence of a data set, whatever the file format it came from.

export interface Sentence {
  /** tokens[i] are the observation columns of token i (the gold tag column removed) */
  tokens: string[][];
  /** tags[i] is the gold tag of token i; an empty array for unlabeled input */
  tags: string[];
  /** 1-based line of the first token in its file */
  line: number;
  /** the file (or other source name) the sentence was read from, for error messages */
  source?: string;
  /**
   * true when the whole sentence is on one line (segmented text): token i is then on `line`;
   * otherwise (column files) token i is on line `line + i`
   */
  oneLine?: boolean;
}

/** The 1-based line of token i of a sentence in its file. */
export function tokenLine(s: Sentence, i: number): number {
  return s.oneLine ? s.line : s.line + i;
}
