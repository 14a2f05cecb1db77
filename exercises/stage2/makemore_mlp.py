"""stage2/makemore_mlp: a character-level MLP language model on names (Bengio et al., 2003).

The bigram model looked at one character. This one looks at the last `block_size` characters:
each is mapped to a learned vector (a row of an embedding table C), the vectors are laid side
by side, and a tanh hidden layer followed by an output layer turns them into 27 scores for the
next character. Characters are indexed by one fixed table, '.' = 0, 'a' = 1, ..., 'z' = 26,
whatever letters the words you are given happen to contain. Write it in PyTorch with plain
tensors, the way the lecture does:

  - build_dataset(words, block_size) -> (X, Y): one row per character of word + '.', for every
    word in order. X[row] is the context: the block_size characters before that character,
    oldest first, padded with '.' (0) before the word starts (the context starts afresh at
    every word); Y[row] is the character itself. X is an (n, block_size) integer tensor and Y
    an (n,) integer tensor (torch.tensor of Python ints gives int64). With block_size 3,
    "emma" gives the contexts ..., ..e, .em, emm, mma with the targets e, m, m, a, '.'.
  - init_model(block_size, n_embd, n_hidden, generator) -> [C, W1, b1, W2, b2]: a list of five
    float tensors with requires_grad=True: C (27, n_embd), W1 (block_size * n_embd, n_hidden),
    b1 (n_hidden,), W2 (n_hidden, 27), b2 (27,). Draw every random number from `generator`
    (torch.randn(..., generator=generator)), never from torch's global generator: the same seed
    gives the same parameters. Start the model unsure: with near-zero logits every character
    gets about 1/27, and the loss of the fresh model on real names must be within 0.1 of
    -ln(1/27) ≈ 3.30 (scale the output layer down: W2 by about 0.01, b2 to 0).
  - logits(params, X) -> (n, 27) float tensor for contexts X (n, block_size): emb = C[X] is
    (n, block_size, n_embd); flatten each row's embeddings to one vector of block_size * n_embd,
    h = tanh(that @ W1 + b1), and the logits are h @ W2 + b2 (raw scores: no softmax).
  - train(words, on_step=None) -> params: build the data set from `words` (the training names),
    make a model with init_model (you choose block_size from 1 to 4, n_embd, n_hidden and the
    seed) and train it with your own loop (mini-batches, F.cross_entropy, backward, an update).
    Return the params list (C first, then W1: the grader reads block_size from their shapes) for
    logits(params, X) to use. If on_step is given, call on_step(step, loss) every hundred steps
    or so: the grader shows it while you train.

The grader builds data sets, draws parameters and computes logits and losses on its own, and
compares. For training it shuffles names.txt with random.Random(42) (the lecture's
random.seed(42)) and splits it 80 % / 10 % / 10 % into training, dev and test names; your
process receives only the training names. It then asks your trained model for its logits on
every context that can occur for your block_size (all 18,279 for block_size 3: '.' padding
followed by letters), so that nothing about the dev names ever reaches your process, and
computes the dev loss itself: the mean cross-entropy over every (context, next character)
pair of the dev names. Done when the dev loss is at most 2.20 (the lecture reaches about
2.17), with training finished within its time budget (120 s on the reference machine, more on
a slower or busier one).
"""

import torch
import torch.nn.functional as F


def build_dataset(words, block_size):
    """(X, Y): X (n, block_size) integer contexts, Y (n,) integer next characters, in word order."""
    raise NotImplementedError("TODO: build_dataset")


def init_model(block_size, n_embd, n_hidden, generator):
    """[C (27, n_embd), W1 (block_size * n_embd, n_hidden), b1 (n_hidden,), W2 (n_hidden, 27), b2 (27,)],
    float tensors with requires_grad=True, drawn from `generator`, with logits near zero at the start."""
    raise NotImplementedError("TODO: init_model")


def logits(params, X):
    """(n, 27) raw scores for contexts X (n, block_size): tanh(C[X] flattened @ W1 + b1) @ W2 + b2."""
    raise NotImplementedError("TODO: logits")


def train(words, on_step=None):
    """Train a model made by init_model on `words` with your own loop; return its params list."""
    raise NotImplementedError("TODO: train")
