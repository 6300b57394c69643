#!/usr/bin/env python3
"""PyTorch peer of asyngrad's Bi-LSTM chunker, for `npm run bench -- lstm`.

Run with the system python (Debian's python3-torch 1.13, CPU; see bench/pytorch-setup.sh):

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/pytorch_lstm.py \
      --train data/conll2000/train.txt --test data/conll2000/test.txt --passes 5 --mode threads1

The same model and training as asyngrad's (src/models/lstm, src/train/train-lstm.ts):
  * per token: concat(embedding of the lowercased word, 200-dim; embedding of the POS tag, 80-dim),
    I = 280; vocabularies from the training data, id 0 = UNK, ids by first occurrence; a value seen
    once in training is replaced by UNK with probability 0.5 each time its sentence is used;
  * one bidirectional LSTM layer (input, forget, output gates), 280 hidden units per direction;
  * a linear layer 560 -> tags (22 on CoNLL-2000), softmax cross-entropy summed over the sentence;
  * one update per sentence: Adam, lr 1e-3 decayed by 0.9 per pass, betas (0.95, 0.95), eps 1e-4,
    no L2. As in asyngrad, Adam on the embedding tables is lazy (only the rows the sentence uses
    are updated: sparse gradients and torch.optim.SparseAdam), dense Adam on the rest;
  * initialisation: embeddings U(+-0.1), LSTM weights U(+-1/sqrt(H)), biases 0 but the forget
    gate's at 1, output layer U(+-1/sqrt(2H)) with bias 0.

Modes: threads1 / threads2 = one process with torch.set_num_threads(1 / 2), every training sentence
once per pass in random order; hogwild2 = PyTorch's Hogwild as in pytorch/examples mnist_hogwild:
model.share_memory(), 2 processes (torch.set_num_threads(1) each) with their own optimizers over
the shared parameters, each visiting half the sentences of a pass.

After each pass the test set is tagged (argmax per token) and scored with conlleval.pl's chunk F1.
One JSON line per pass, then a summary line (median seconds per pass, last F1). seconds_per_pass
is the training time of that pass only (the worker processes of hogwild2 are started beforehand;
evaluation is not counted).
"""
import argparse
import json
import os
import random
import re
import statistics
import sys
import time

# OpenBLAS reads this when it is loaded: OpenBLAS threads beside torch's own threads make it
# several times slower. The bench sets it too; this is for direct runs.
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')

import torch  # noqa: E402
import torch.multiprocessing as mp  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

WORD_DIM = 200
POS_DIM = 80
HIDDEN = 280
UNK_PROBABILITY = 0.5


# ---------------------------------------------------------------- data

def read_conll(path):
    """Sentences as (words, pos, chunks); `word POS chunk` per line, blank lines between sentences."""
    sents = []
    words, pos, tags = [], [], []
    with open(path, encoding='utf-8') as f:
        for line in f:
            cols = line.split()
            if not cols:
                if words:
                    sents.append((words, pos, tags))
                    words, pos, tags = [], [], []
                continue
            words.append(cols[0])
            pos.append(cols[1] if len(cols) > 1 else '')
            tags.append(cols[-1] if len(cols) > 2 else 'O')
    if words:
        sents.append((words, pos, tags))
    return sents


class Vocab:
    """id 0 is UNK; ids by first occurrence in training; counts for the 'seen once' rule."""

    def __init__(self, values_iter):
        self.index = {}
        self.counts = [0]
        for x in values_iter:
            i = self.index.get(x)
            if i is None:
                self.index[x] = len(self.counts)
                self.counts.append(1)
            else:
                self.counts[i] += 1

    def __len__(self):
        return len(self.counts)

    def ids(self, xs):
        return [self.index.get(x, 0) for x in xs]


def word_values(s):
    return [w.lower() for w in s[0]]


def pos_values(s):
    return s[1]


class Encoded:
    __slots__ = ('words', 'pos', 'rare_w', 'rare_p', 'labels')


def encode(sents, wv, pv, label_index):
    out = []
    for s in sents:
        e = Encoded()
        w = wv.ids(word_values(s))
        p = pv.ids(pos_values(s))
        e.words = torch.tensor(w, dtype=torch.long)
        e.pos = torch.tensor(p, dtype=torch.long)
        e.rare_w = torch.tensor([i > 0 and wv.counts[i] == 1 for i in w], dtype=torch.bool)
        e.rare_p = torch.tensor([i > 0 and pv.counts[i] == 1 for i in p], dtype=torch.bool)
        e.labels = torch.tensor([label_index.get(t, -100) for t in s[2]], dtype=torch.long)
        out.append(e)
    return out


# ---------------------------------------------------------------- model

class BiLstmTagger(nn.Module):
    def __init__(self, n_words, n_pos, n_tags):
        super().__init__()
        self.wemb = nn.Embedding(n_words, WORD_DIM, sparse=True)
        self.pemb = nn.Embedding(n_pos, POS_DIM, sparse=True)
        self.lstm = nn.LSTM(WORD_DIM + POS_DIM, HIDDEN, num_layers=1, bidirectional=True, batch_first=True)
        self.out = nn.Linear(2 * HIDDEN, n_tags)
        with torch.no_grad():
            self.wemb.weight.uniform_(-0.1, 0.1)
            self.pemb.weight.uniform_(-0.1, 0.1)
            a = 1 / HIDDEN ** 0.5
            for name, p in self.lstm.named_parameters():
                if name.startswith('weight'):
                    p.uniform_(-a, a)
                else:
                    p.zero_()
                    if name.startswith('bias_ih'):
                        p[HIDDEN:2 * HIDDEN] = 1.0  # gate order i, f, g, o: forget gate bias 1
            b = 1 / (2 * HIDDEN) ** 0.5
            self.out.weight.uniform_(-b, b)
            self.out.bias.zero_()

    def forward(self, words, pos, lengths=None):
        x = torch.cat([self.wemb(words), self.pemb(pos)], dim=-1)
        if lengths is None:
            h, _ = self.lstm(x)
        else:
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            h, _ = self.lstm(packed)
            h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True)
        return self.out(h)


def optimizers(model, lr):
    sparse = [model.wemb.weight, model.pemb.weight]
    dense = [p for n, p in model.named_parameters() if not n.startswith(('wemb.', 'pemb.'))]
    betas = (0.95, 0.95)
    return [torch.optim.SparseAdam(sparse, lr=lr, betas=betas, eps=1e-4),
            torch.optim.Adam(dense, lr=lr, betas=betas, eps=1e-4, weight_decay=0)]


def set_lr(opts, lr):
    for o in opts:
        for g in o.param_groups:
            g['lr'] = lr


def train_sentences(model, opts, data, order, gen):
    """One update per sentence of `order`; returns the summed loss."""
    total = 0.0
    for i in order:
        e = data[i]
        words, pos = e.words, e.pos
        # values seen once in training -> UNK with probability 0.5, anew at each use
        if e.rare_w.any():
            words = words.masked_fill(e.rare_w & (torch.rand(len(words), generator=gen) < UNK_PROBABILITY), 0)
        if e.rare_p.any():
            pos = pos.masked_fill(e.rare_p & (torch.rand(len(pos), generator=gen) < UNK_PROBABILITY), 0)
        logits = model(words.unsqueeze(0), pos.unsqueeze(0))[0]
        loss = F.cross_entropy(logits, e.labels, reduction='sum')
        for o in opts:
            o.zero_grad(set_to_none=True)
        loss.backward()
        for o in opts:
            o.step()
        total += loss.item()
    return total


# ---------------------------------------------------------------- evaluation

def decode(model, data, batch=64):
    """Argmax tag ids per token, per sentence (padded batches; no UNK replacement)."""
    out = []
    model.eval()
    with torch.no_grad():
        for b in range(0, len(data), batch):
            chunk = data[b:b + batch]
            lengths = torch.tensor([len(e.words) for e in chunk])
            words = nn.utils.rnn.pad_sequence([e.words for e in chunk], batch_first=True)
            pos = nn.utils.rnn.pad_sequence([e.pos for e in chunk], batch_first=True)
            best = model(words, pos, lengths).argmax(-1)
            for k, n in enumerate(lengths.tolist()):
                out.append(best[k, :n].tolist())
    model.train()
    return out


_SPLIT = re.compile(r'^([^-]*)-(.*)$')


def _split_tag(t):
    m = _SPLIT.match(t)
    if not m:
        return t, ''
    return m.group(1), ('' if m.group(2) == '0' else m.group(2))


def _end_of_chunk(prev_tag, tag, prev_type, typ):
    end = False
    if prev_tag == 'B' and tag == 'B': end = True
    if prev_tag == 'B' and tag == 'O': end = True
    if prev_tag == 'I' and tag == 'B': end = True
    if prev_tag == 'I' and tag == 'O': end = True
    if prev_tag == 'E' and tag == 'E': end = True
    if prev_tag == 'E' and tag == 'I': end = True
    if prev_tag == 'E' and tag == 'O': end = True
    if prev_tag != 'O' and prev_tag != '.' and prev_type != typ: end = True
    if prev_tag == ']' or prev_tag == '[': end = True
    return end


def _start_of_chunk(prev_tag, tag, prev_type, typ):
    start = False
    if prev_tag == 'B' and tag == 'B': start = True
    if prev_tag == 'I' and tag == 'B': start = True
    if prev_tag == 'O' and tag == 'B': start = True
    if prev_tag == 'O' and tag == 'I': start = True
    if prev_tag == 'E' and tag == 'E': start = True
    if prev_tag == 'E' and tag == 'I': start = True
    if prev_tag == 'O' and tag == 'E': start = True
    if tag != 'O' and tag != '.' and prev_type != typ: start = True
    if tag == '[' or tag == ']': start = True
    return start


def conlleval_f1(gold, pred):
    """Chunk F1 (percent) as conlleval.pl computes it; sentences are lists of tags, a boundary
    after each sentence is processed as the script processes an empty line."""
    correct_chunk = found_correct = found_guessed = 0
    in_correct = False
    last_c, last_ct, last_g, last_gt = 'O', '', 'O', ''

    def lines():
        for g, p in zip(gold, pred):
            assert len(g) == len(p)
            for a, b in zip(g, p):
                yield a, b
            yield 'O', 'O'

    for ct, gt in lines():
        c, ctype = _split_tag(ct)
        g, gtype = _split_tag(gt)
        end_c = _end_of_chunk(last_c, c, last_ct, ctype)
        end_g = _end_of_chunk(last_g, g, last_gt, gtype)
        start_c = _start_of_chunk(last_c, c, last_ct, ctype)
        start_g = _start_of_chunk(last_g, g, last_gt, gtype)
        if in_correct:
            if end_c and end_g and last_gt == last_ct:
                in_correct = False
                correct_chunk += 1
            elif end_c != end_g or gtype != ctype:
                in_correct = False
        if start_c and start_g and gtype == ctype:
            in_correct = True
        if start_c:
            found_correct += 1
        if start_g:
            found_guessed += 1
        last_c, last_ct, last_g, last_gt = c, ctype, g, gtype
    if in_correct:
        correct_chunk += 1
    p = 100 * correct_chunk / found_guessed if found_guessed else 0.0
    r = 100 * correct_chunk / found_correct if found_correct else 0.0
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def evaluate(model, test, test_gold, labels):
    pred = [[labels[i] for i in s] for s in decode(model, test)]
    return conlleval_f1(test_gold, pred)


# ---------------------------------------------------------------- hogwild

def hogwild_worker(rank, model, data, seed, cmd_q, done_q):
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(seed * 1000 + 17 + rank)
    opts = optimizers(model, 1e-3)
    while True:
        msg = cmd_q.get()
        if msg is None:
            return
        lr, order = msg
        set_lr(opts, lr)
        try:
            loss = train_sentences(model, opts, data, order, gen)
            done_q.put((rank, loss, None))
        except Exception as e:  # report instead of hanging the main process
            done_q.put((rank, 0.0, repr(e)))
            return


# ---------------------------------------------------------------- main

def blas_loaded():
    try:
        with open('/proc/self/maps') as f:
            libs = {l.split()[-1] for l in f if re.search(r'lib(open)?blas|libblis|libmkl', l)}
        libs = sorted(os.path.basename(x) for x in libs)
        return ' '.join(libs) or 'none'
    except OSError:
        return 'unknown'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--train', required=True)
    ap.add_argument('--test', required=True)
    ap.add_argument('--passes', type=int, default=1)
    ap.add_argument('--mode', choices=['threads1', 'threads2', 'hogwild2'], default='threads1')
    ap.add_argument('--limit', type=int, default=0, help='use only the first N training sentences')
    ap.add_argument('--test-limit', type=int, default=0, help='score only the first N test sentences')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--decay', type=float, default=0.9, help='learning rate factor per pass (asyngrad: 0.9)')
    a = ap.parse_args()
    if a.passes < 1:
        ap.error('--passes must be at least 1')

    threads = 2 if a.mode in ('threads2', 'hogwild2') else 1
    processes = 2 if a.mode == 'hogwild2' else 1
    torch.set_num_threads(1 if a.mode == 'hogwild2' else threads)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)

    train_s = read_conll(a.train)
    if a.limit > 0:
        train_s = train_s[:a.limit]
    test_s = read_conll(a.test)
    if a.test_limit > 0:
        test_s = test_s[:a.test_limit]
    wv = Vocab(w for s in train_s for w in word_values(s))
    pv = Vocab(p for s in train_s for p in pos_values(s))
    labels = []
    label_index = {}
    for s in train_s:
        for t in s[2]:
            if t not in label_index:
                label_index[t] = len(labels)
                labels.append(t)
    train = encode(train_s, wv, pv, label_index)
    test = encode(test_s, wv, pv, label_index)
    test_gold = [s[2] for s in test_s]

    model = BiLstmTagger(len(wv), len(pv), len(labels))
    base = {'system': 'pytorch', 'mode': a.mode, 'threads': threads, 'processes': processes}

    workers = []
    if a.mode == 'hogwild2':
        model.share_memory()
        ctx = mp.get_context('fork')
        done_q = ctx.SimpleQueue()
        cmd_qs = []
        for rank in range(processes):
            q = ctx.SimpleQueue()
            p = ctx.Process(target=hogwild_worker, args=(rank, model, train, a.seed, q, done_q), daemon=True)
            p.start()
            cmd_qs.append(q)
            workers.append(p)
    else:
        gen = torch.Generator().manual_seed(a.seed * 1000 + 17)
        opts = optimizers(model, a.lr)

    times, f1 = [], 0.0
    try:
        for k in range(1, a.passes + 1):
            lr = a.lr * a.decay ** (k - 1)
            order = list(range(len(train)))
            rng.shuffle(order)
            t0 = time.perf_counter()
            if workers:
                for rank, q in enumerate(cmd_qs):
                    q.put((lr, order[rank::processes]))
                loss = 0.0
                for _ in workers:
                    rank, l, err = done_q.get()
                    if err:
                        raise RuntimeError(f'hogwild worker {rank}: {err}')
                    loss += l
            else:
                set_lr(opts, lr)
                loss = train_sentences(model, opts, train, order, gen)
            secs = time.perf_counter() - t0
            times.append(secs)
            f1 = evaluate(model, test, test_gold, labels)
            print(json.dumps({**base, 'pass': k, 'seconds_per_pass': round(secs, 3), 'f1': round(f1, 2),
                              'sentences': len(train), 'loss': round(loss, 3),
                              'ms_per_sentence': round(1000 * secs / max(len(train), 1), 3)}), flush=True)
    finally:
        for q in (cmd_qs if workers else []):
            q.put(None)
        for p in workers:
            p.join(timeout=10)

    print(json.dumps({'summary': True, **base, 'passes': a.passes, 'seconds_per_pass': round(statistics.median(times), 3),
                      'f1': round(f1, 2), 'sentences': len(train), 'test_sentences': len(test),
                      'torch': torch.__version__, 'blas': blas_loaded(),
                      'openblas_num_threads': os.environ.get('OPENBLAS_NUM_THREADS')}), flush=True)


if __name__ == '__main__':
    sys.exit(main())
