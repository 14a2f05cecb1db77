"""stage2/makemore_mlp typed along with the lecture: stoi/itos dicts, a context list slid by hand,
plain SGD on mini-batches with a learning-rate step (a correct solution in another style)."""

import torch
import torch.nn.functional as F

chars = sorted(list(set("abcdefghijklmnopqrstuvwxyz")))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
itos = {i: s for s, i in stoi.items()}


def build_dataset(words, block_size):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]  # crop and append
    X = torch.tensor(X)
    Y = torch.tensor(Y)
    return X, Y


def init_model(block_size, n_embd, n_hidden, generator):
    g = generator
    C = torch.randn((27, n_embd), generator=g)
    W1 = torch.randn((n_embd * block_size, n_hidden), generator=g) * 0.2
    b1 = torch.randn(n_hidden, generator=g) * 0.01
    W2 = torch.randn((n_hidden, 27), generator=g) * 0.01
    b2 = torch.randn(27, generator=g) * 0
    parameters = [C, W1, b1, W2, b2]
    for p in parameters:
        p.requires_grad = True
    return parameters


def logits(params, X):
    C, W1, b1, W2, b2 = params
    emb = C[X]
    embcat = emb.view(emb.shape[0], -1)
    h = torch.tanh(embcat @ W1 + b1)
    return h @ W2 + b2


def train(words, on_step=None):
    block_size = 3
    Xtr, Ytr = build_dataset(words, block_size)
    g = torch.Generator().manual_seed(2147483647)
    parameters = init_model(block_size, 10, 200, g)
    C, W1, b1, W2, b2 = parameters
    for i in range(10000):
        ix = torch.randint(0, Xtr.shape[0], (128,), generator=g)
        emb = C[Xtr[ix]]
        h = torch.tanh(emb.view(-1, 30) @ W1 + b1)
        out = h @ W2 + b2
        loss = F.cross_entropy(out, Ytr[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < 7500 else 0.01
        for p in parameters:
            p.data += -lr * p.grad
        if on_step is not None and i % 1000 == 0:
            on_step(i, loss.item())
    return parameters
