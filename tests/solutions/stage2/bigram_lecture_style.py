"""stage2/bigram typed along with the lecture: dicts for stoi/itos, a counting loop, one-hot inputs
(a correct solution in another style)."""

import torch
import torch.nn.functional as F

chars = sorted(set("abcdefghijklmnopqrstuvwxyz"))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
itos = {i: s for s, i in stoi.items()}


def bigram_counts(words):
    N = torch.zeros((27, 27), dtype=torch.int32)
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            N[stoi[ch1], stoi[ch2]] += 1
    return N


def bigram_probs(counts, smoothing=1):
    P = (counts + smoothing).float()
    P /= P.sum(1, keepdims=True)
    return P


def nll(words, probs):
    log_likelihood = 0.0
    n = 0
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            log_likelihood += torch.log(probs[stoi[ch1], stoi[ch2]]).item()
            n += 1
    return -log_likelihood / n


def sample(probs, n, generator):
    out = []
    for _ in range(n):
        name = []
        ix = 0
        while True:
            p = probs[ix]
            ix = torch.multinomial(p, num_samples=1, replacement=True, generator=generator).item()
            if ix == 0:
                break
            name.append(itos[ix])
        out.append("".join(name))
    return out


def train_neural_bigram(words, generator):
    xs, ys = [], []
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            xs.append(stoi[ch1])
            ys.append(stoi[ch2])
    xs, ys = torch.tensor(xs), torch.tensor(ys)
    num = xs.nelement()
    W = torch.randn((27, 27), generator=generator, requires_grad=True)
    xenc = F.one_hot(xs, num_classes=27).float()
    for _ in range(250):
        logits = xenc @ W
        counts = logits.exp()
        probs = counts / counts.sum(1, keepdims=True)
        loss = -probs[torch.arange(num), ys].log().mean() + 0.0001 * (W**2).mean()
        W.grad = None
        loss.backward()
        W.data += -80 * W.grad
    return W
