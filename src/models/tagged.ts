// What both taggers (CRF and Bi-LSTM) take and give besides plain tags.
import type { Sentence } from '../data/types.js';

/** A sentence's best tags with their probabilities under the model. */
export interface TaggedWithProbabilities {
  tags: string[];
  /** probability of the whole tag sequence (CRF: P(y* | x); Bi-LSTM: the product of the tokens') */
  probability: number;
  /** per token, the probability of its tag (CRF: the marginal P(y_t = y*_t | x); Bi-LSTM: the softmax) */
  marginals: number[];
}

/** A sentence as the readers return it, or as an array of tokens (a word, or its observation columns). */
export type SentenceInput = Sentence | readonly (string | readonly string[])[];

export function toSentence(s: SentenceInput): Sentence {
  if (!Array.isArray(s)) return s as Sentence;
  const tokens = (s as readonly (string | readonly string[])[]).map((t) => (typeof t === 'string' ? [t] : [...t]));
  return { tokens, tags: [], line: 1, source: '<input>' };
}
