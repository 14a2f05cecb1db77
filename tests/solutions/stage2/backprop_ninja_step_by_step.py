"""A second correct stage2/backprop_ninja: every intermediate of the forward gets its own gradient, one
operation at a time; the fused shortcuts written with one_hot and means.

(The exercise's text follows.)

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
    """(softmax - one_hot) / n, with one_hot from F.one_hot."""
    return (F.softmax(logits, dim=1) - F.one_hot(Yb, logits.shape[1]).to(logits.dtype)) / logits.shape[0]


def batchnorm_backward(dhpreact, cache):
    """The three paths, written with means: bnvar_inv * (dx - mean(dx) - bnraw * mean(dx * bnraw) * n / (n - 1))."""
    n = dhpreact.shape[0]
    dbnraw = cache["bngain"] * dhpreact
    return cache["bnvar_inv"] * (dbnraw - dbnraw.mean(0, keepdim=True)
                                 - cache["bnraw"] * (dbnraw * cache["bnraw"]).mean(0, keepdim=True) * n / (n - 1))


def backward(params, cache):
    """Walk every intermediate of forward back, one operation at a time."""
    c = cache
    Xb, Yb = c["Xb"], c["Yb"]
    n = Xb.shape[0]
    # loss = -logprobs[range(n), Yb].mean()
    dlogprobs = torch.zeros_like(c["logprobs"])
    dlogprobs[torch.arange(n), Yb] = -1.0 / n
    # logprobs = probs.log()
    dprobs = dlogprobs / c["probs"]
    # probs = counts * counts_sum_inv (counts_sum_inv broadcast over the columns)
    dcounts_sum_inv = (c["counts"] * dprobs).sum(1, keepdim=True)
    dcounts = c["counts_sum_inv"] * dprobs
    # counts_sum_inv = counts_sum ** -1
    dcounts_sum = -(c["counts_sum"] ** -2) * dcounts_sum_inv
    # counts_sum = counts.sum(1): every column receives the row's gradient
    dcounts = dcounts + dcounts_sum.expand_as(c["counts"])
    # counts = norm_logits.exp()
    dnorm_logits = c["counts"] * dcounts
    # norm_logits = logits - logit_maxes
    dlogits = dnorm_logits.clone()
    dlogit_maxes = -dnorm_logits.sum(1, keepdim=True)
    # logit_maxes = logits.max(1): the gradient goes to the position of each row's max
    rows = torch.arange(n)
    dlogits[rows, c["logits"].argmax(1)] += dlogit_maxes[:, 0]
    # logits = h @ W2 + b2
    dh = dlogits @ c["W2"].T
    dW2 = c["h"].T @ dlogits
    db2 = dlogits.sum(0)
    # h = tanh(hpreact)
    dhpreact = (1 - c["h"] * c["h"]) * dh
    # hpreact = bngain * bnraw + bnbias
    dbngain = (c["bnraw"] * dhpreact).sum(0, keepdim=True)
    dbnbias = dhpreact.sum(0, keepdim=True)
    dbnraw = c["bngain"] * dhpreact
    # bnraw = bndiff * bnvar_inv
    dbndiff = c["bnvar_inv"] * dbnraw
    dbnvar_inv = (c["bndiff"] * dbnraw).sum(0, keepdim=True)
    # bnvar_inv = (bnvar + 1e-5) ** -0.5
    dbnvar = -0.5 * (c["bnvar"] + 1e-5) ** -1.5 * dbnvar_inv
    # bnvar = bndiff2.sum(0) / (n - 1)
    dbndiff2 = torch.ones_like(c["bndiff2"]) * dbnvar / (n - 1)
    # bndiff2 = bndiff ** 2
    dbndiff = dbndiff + 2 * c["bndiff"] * dbndiff2
    # bndiff = hprebn - bnmeani
    dhprebn = dbndiff.clone()
    dbnmeani = -dbndiff.sum(0, keepdim=True)
    # bnmeani = hprebn.sum(0) / n
    dhprebn = dhprebn + torch.ones_like(c["hprebn"]) * dbnmeani / n
    # hprebn = embcat @ W1 + b1
    dembcat = dhprebn @ c["W1"].T
    dW1 = c["embcat"].T @ dhprebn
    db1 = dhprebn.sum(0)
    # embcat = emb.view(n, -1); emb = C[Xb]: a loop that adds up repeated characters
    demb = dembcat.view(c["emb"].shape)
    dC = torch.zeros_like(c["C"])
    for i in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            dC[Xb[i, j]] += demb[i, j]
    return {"C": dC, "W1": dW1, "b1": db1, "bngain": dbngain, "bnbias": dbnbias, "W2": dW2, "b2": db2}
