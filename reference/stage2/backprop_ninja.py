"""Reference for stage2/backprop_ninja: the makemore MLP's backward pass by hand, without autograd."""

import torch
import torch.nn.functional as F


def forward(params, Xb, Yb):
    """The forward pass, one small operation at a time; returns (loss, cache)."""
    C, W1, b1, bngain, bnbias, W2, b2 = (params[k] for k in ("C", "W1", "b1", "bngain", "bnbias", "W2", "b2"))
    n = Xb.shape[0]
    emb = C[Xb]  # (n, block_size, n_embd)
    embcat = emb.view(n, -1)  # (n, block_size * n_embd)
    hprebn = embcat @ W1 + b1  # (n, n_hidden)
    bnmeani = hprebn.sum(0, keepdim=True) / n
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff**2
    bnvar = bndiff2.sum(0, keepdim=True) / (n - 1)  # Bessel's correction
    bnvar_inv = (bnvar + 1e-5) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2  # (n, vocab_size)
    logit_maxes = logits.max(1, keepdim=True).values
    norm_logits = logits - logit_maxes
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdim=True)
    counts_sum_inv = counts_sum**-1
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[torch.arange(n), Yb].mean()
    cache = dict(params, Xb=Xb, Yb=Yb, emb=emb, embcat=embcat, hprebn=hprebn, bnmeani=bnmeani, bndiff=bndiff,
                 bndiff2=bndiff2, bnvar=bnvar, bnvar_inv=bnvar_inv, bnraw=bnraw, hpreact=hpreact, h=h, logits=logits,
                 logit_maxes=logit_maxes, norm_logits=norm_logits, counts=counts, counts_sum=counts_sum,
                 counts_sum_inv=counts_sum_inv, probs=probs, logprobs=logprobs)
    return loss, cache


def cross_entropy_backward(logits, Yb):
    """dloss/dlogits of the mean cross-entropy: (softmax - one_hot) / n."""
    n = logits.shape[0]
    dlogits = F.softmax(logits, 1)
    dlogits[torch.arange(n), Yb] -= 1
    return dlogits / n


def batchnorm_backward(dhpreact, cache):
    """dloss/dhprebn through the batch norm (variance over n - 1), in one expression."""
    n = dhpreact.shape[0]
    bnraw = cache["bnraw"]
    return cache["bngain"] * cache["bnvar_inv"] / n * (
        n * dhpreact - dhpreact.sum(0, keepdim=True) - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0, keepdim=True))


def backward(params, cache):
    """Every parameter's gradient of the loss, by hand."""
    c = cache
    Xb = c["Xb"]
    dlogits = cross_entropy_backward(c["logits"], c["Yb"])
    dh = dlogits @ params["W2"].T
    dW2 = c["h"].T @ dlogits
    db2 = dlogits.sum(0)
    dhpreact = (1.0 - c["h"] ** 2) * dh
    dbngain = (c["bnraw"] * dhpreact).sum(0, keepdim=True)
    dbnbias = dhpreact.sum(0, keepdim=True)
    dhprebn = batchnorm_backward(dhpreact, cache)
    dembcat = dhprebn @ params["W1"].T
    dW1 = c["embcat"].T @ dhprebn
    db1 = dhprebn.sum(0)
    demb = dembcat.view(c["emb"].shape)
    dC = torch.zeros_like(params["C"])
    dC.index_add_(0, Xb.reshape(-1), demb.reshape(-1, demb.shape[2]))
    return {"C": dC, "W1": dW1, "b1": db1, "bngain": dbngain, "bnbias": dbnbias, "W2": dW2, "b2": db2}
