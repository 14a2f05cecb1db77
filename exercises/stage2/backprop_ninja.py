"""stage2/backprop_ninja: the backward pass of makemore's MLP, by hand.

The model is the character MLP with batch norm, on a batch of n examples:

    emb     = C[Xb]                          (n, block_size, n_embd)   C: (vocab_size, n_embd)
    embcat  = emb.view(n, -1)                (n, block_size * n_embd)
    hprebn  = embcat @ W1 + b1               (n, n_hidden)             W1: (block_size * n_embd, n_hidden), b1: (n_hidden,)
    hpreact = bngain * bnraw + bnbias        (n, n_hidden)             bngain, bnbias: (1, n_hidden)
              where bnraw = (hprebn - mean) / sqrt(var + 1e-5), with the statistics of the batch, per column:
                    mean = hprebn.sum(0) / n
                    var  = ((hprebn - mean) ** 2).sum(0) / (n - 1)    <- Bessel's correction: n - 1, not n
    h       = tanh(hpreact)                  (n, n_hidden)
    logits  = h @ W2 + b2                    (n, vocab_size)           W2: (n_hidden, vocab_size), b2: (vocab_size,)
    loss    = mean over the batch of -log softmax(logits)[i, Yb[i]]    (a scalar: F.cross_entropy(logits, Yb))

`forward` below is given: it computes the loss one small operation at a time and keeps every
intermediate in `cache` (and the parameters too), so that you can walk back through it. Write
the gradients of the loss with tensor operations only: no .backward(), no torch.autograd (the
grader reads your file, and runs your code under torch.no_grad()). Everything is float64.

  - cross_entropy_backward(logits, Yb) -> dlogits: dloss/dlogits in one expression.
  - batchnorm_backward(dhpreact, cache) -> dhprebn: dloss/dhprebn through the batch norm, in one
    expression, given dloss/dhpreact (the variance divides by n - 1, as above).
  - backward(params, cache) -> grads: a dict with the gradient of the loss for each of "C", "W1",
    "b1", "bngain", "bnbias", "W2", "b2", each of the parameter's shape. A character that occurs
    several times in Xb collects the gradient of every occurrence.

The grader compares every gradient to autograd's on the same forward, on batches of many sizes.
"""

import torch
import torch.nn.functional as F  # noqa: F401  (softmax and one_hot are allowed)


def forward(params, Xb, Yb):
    """The forward pass, one small operation at a time.

    params: {"C", "W1", "b1", "bngain", "bnbias", "W2", "b2"} (float64 tensors, shapes as above);
    Xb: (n, block_size) long character indices; Yb: (n,) long targets.
    Returns (loss, cache): loss a 0-d tensor, cache a dict of the parameters and every intermediate.
    """
    C, W1, b1, bngain, bnbias, W2, b2 = (params[k] for k in ("C", "W1", "b1", "bngain", "bnbias", "W2", "b2"))
    n = Xb.shape[0]
    emb = C[Xb]  # (n, block_size, n_embd)
    embcat = emb.view(n, -1)  # (n, block_size * n_embd)
    hprebn = embcat @ W1 + b1  # (n, n_hidden)
    bnmeani = hprebn.sum(0, keepdim=True) / n  # (1, n_hidden)
    bndiff = hprebn - bnmeani  # (n, n_hidden)
    bndiff2 = bndiff**2  # (n, n_hidden)
    bnvar = bndiff2.sum(0, keepdim=True) / (n - 1)  # (1, n_hidden), Bessel's correction
    bnvar_inv = (bnvar + 1e-5) ** -0.5  # (1, n_hidden)
    bnraw = bndiff * bnvar_inv  # (n, n_hidden)
    hpreact = bngain * bnraw + bnbias  # (n, n_hidden)
    h = torch.tanh(hpreact)  # (n, n_hidden)
    logits = h @ W2 + b2  # (n, vocab_size)
    logit_maxes = logits.max(1, keepdim=True).values  # (n, 1), for numerical stability only
    norm_logits = logits - logit_maxes  # (n, vocab_size)
    counts = norm_logits.exp()  # (n, vocab_size)
    counts_sum = counts.sum(1, keepdim=True)  # (n, 1)
    counts_sum_inv = counts_sum**-1  # (n, 1)
    probs = counts * counts_sum_inv  # (n, vocab_size)
    logprobs = probs.log()  # (n, vocab_size)
    loss = -logprobs[torch.arange(n), Yb].mean()  # 0-d
    cache = dict(params, Xb=Xb, Yb=Yb, emb=emb, embcat=embcat, hprebn=hprebn, bnmeani=bnmeani, bndiff=bndiff,
                 bndiff2=bndiff2, bnvar=bnvar, bnvar_inv=bnvar_inv, bnraw=bnraw, hpreact=hpreact, h=h, logits=logits,
                 logit_maxes=logit_maxes, norm_logits=norm_logits, counts=counts, counts_sum=counts_sum,
                 counts_sum_inv=counts_sum_inv, probs=probs, logprobs=logprobs)
    return loss, cache


def cross_entropy_backward(logits, Yb):
    """dloss/dlogits of loss = F.cross_entropy(logits, Yb) (the mean over the batch), in one expression.

    logits: (n, vocab_size) float64; Yb: (n,) long. Returns (n, vocab_size).
    """
    raise NotImplementedError("TODO: cross_entropy_backward")


def batchnorm_backward(dhpreact, cache):
    """dloss/dhprebn through hpreact = bngain * bnraw + bnbias, bnraw = (hprebn - mean) / sqrt(var + 1e-5),
    the batch's mean and its variance over n - 1, in one expression.

    dhpreact: (n, n_hidden), dloss/dhpreact; cache: forward's (use cache["bngain"], cache["bnvar_inv"],
    cache["bnraw"], ...). Returns (n, n_hidden).
    """
    raise NotImplementedError("TODO: batchnorm_backward")


def backward(params, cache):
    """Every parameter's gradient of forward's loss, by hand.

    params, cache: as forward takes and returns them. Returns {"C", "W1", "b1", "bngain", "bnbias", "W2", "b2"}:
    tensors of the same shapes as params' (b1 and b2 1-d, bngain and bnbias (1, n_hidden)).
    """
    raise NotImplementedError("TODO: backward")
