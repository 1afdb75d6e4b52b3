#!/usr/bin/env python3
"""Trains NiusTv's g2p Transformer with PyTorch on a GPU, and scores it (and an ensemble of several) on the splits.

The network is the one `NiusTv.Steps/Phonemes/G2pModel.cs` runs on the CPU: same layers, same parameter names, same
vocabularies, split and padding ids, so the saved `weights.pt` + `config.json` load there unchanged. `nius train g2p`
trains the same network on the CPU; this script exists because a larger model than the CPU trains in an hour needs a
GPU for a few minutes (docs/models.md, section Pronunciations).

  train:     train_transformer.py train --dict cmudict-en-us.dict --out DIR [--epochs N | --minutes M] [sizes]
  ensemble:  train_transformer.py score --dict cmudict-en-us.dict DIR [DIR ...] [--beam K]

Every figure printed is measured here: WER (a word is right when the prediction equals any of its variants) and PER
(edits against the closest variant), as G2pScore computes them in C#.
"""
import argparse
import hashlib
import json
import math
import os
import random
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PHONES = ["AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH", "IH", "IY", "JH",
          "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH"]
PAD, UNKNOWN_GRAPHEME, BEGIN, END = 0, 1, 1, 2


# ---- the dictionary and its split (CmuDictionary.cs, G2pSplits) ----

def base_word(entry):
    if len(entry) > 3 and entry.endswith(")"):
        open_at = entry.rfind("(")
        digits = entry[open_at + 1:-1]
        if 0 < open_at < len(entry) - 2 and digits and all("0" <= c <= "9" for c in digits):
            return entry[:open_at]
    return entry


def load_dictionary(path):
    entries = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#") or line.startswith(";;;"):
                continue
            parts = line.split()
            phones = [p.upper() for p in parts[1:]]
            if not phones or any(p not in PHONES for p in phones):
                raise SystemExit(f"{path}:{number}: not 'word PH PH ...' with CMU phones without stress: {line!r}")
            entries.setdefault(base_word(parts[0].lower()), []).append(phones)
    return entries


def split_of(word):
    first = hashlib.md5(base_word(word.lower()).encode("utf-8")).digest()[0]
    return {0: "test", 1: "dev"}.get(first % 10, "train")


def select(entries, split):
    return [(w, entries[w]) for w in sorted(entries) if split_of(w) == split]


# ---- the network (G2pModel.cs; names match its state dict) ----

class Attention(nn.Module):
    def __init__(self, d_model, heads):
        super().__init__()
        self.heads, self.head_size = heads, d_model // heads
        self.query, self.key = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)
        self.value, self.output = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)

    def forward(self, x, memory, allowed):
        b, t, s = x.shape[0], x.shape[1], memory.shape[1]
        q = self.query(x).view(b, t, self.heads, self.head_size).transpose(1, 2)
        k = self.key(memory).view(b, s, self.heads, self.head_size).transpose(1, 2)
        v = self.value(memory).view(b, s, self.heads, self.head_size).transpose(1, 2)
        # A boolean mask is the C# additive -1e9 mask exactly: exp(-1e9) is 0 in float32.
        mixed = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        return self.output(mixed.transpose(1, 2).reshape(b, t, self.heads * self.head_size))


class EncoderLayer(nn.Module):
    def __init__(self, d_model, heads, ffn, drop):
        super().__init__()
        self.norm1, self.attention = nn.LayerNorm(d_model), Attention(d_model, heads)
        self.norm2, self.up, self.down = nn.LayerNorm(d_model), nn.Linear(d_model, ffn), nn.Linear(ffn, d_model)
        self.drop = nn.Dropout(drop)

    def forward(self, x, allowed):
        h = self.norm1(x)
        x = x + self.drop(self.attention(h, h, allowed))
        return x + self.drop(self.down(self.drop(F.relu(self.up(self.norm2(x))))))


class DecoderLayer(nn.Module):
    def __init__(self, d_model, heads, ffn, drop):
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        setattr(self, "self", Attention(d_model, heads))  # the C# field is named `self`
        self.norm2, self.cross = nn.LayerNorm(d_model), Attention(d_model, heads)
        self.norm3, self.up, self.down = nn.LayerNorm(d_model), nn.Linear(d_model, ffn), nn.Linear(ffn, d_model)
        self.drop = nn.Dropout(drop)

    def forward(self, x, memory, causal, memory_allowed):
        h = self.norm1(x)
        x = x + self.drop(getattr(self, "self")(h, h, causal))
        x = x + self.drop(self.cross(self.norm2(x), memory, memory_allowed))
        return x + self.drop(self.down(self.drop(F.relu(self.up(self.norm3(x))))))


class G2pTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["dModel"]
        self.scale = math.sqrt(d)
        self.graphemes = nn.Embedding(len(c["graphemes"]) + 2, d, padding_idx=PAD)
        self.phones = nn.Embedding(len(c["phones"]) + 3, d, padding_idx=PAD)
        self.graphemePositions = nn.Embedding(c["maxLength"], d)
        self.phonePositions = nn.Embedding(c["maxLength"], d)
        self.encoder = nn.ModuleList(EncoderLayer(d, c["heads"], c["feedForward"], c["dropout"]) for _ in range(c["encoderLayers"]))
        self.decoder = nn.ModuleList(DecoderLayer(d, c["heads"], c["feedForward"], c["dropout"]) for _ in range(c["decoderLayers"]))
        self.encoderNorm, self.decoderNorm = nn.LayerNorm(d), nn.LayerNorm(d)
        self.project = nn.Linear(d, len(c["phones"]) + 3)
        self.drop = nn.Dropout(c["dropout"])
        for name, p in self.named_parameters():
            if p.dim() > 1 and "Positions" not in name:
                nn.init.xavier_uniform_(p)
        with torch.no_grad():
            self.graphemes.weight[PAD].zero_()
            self.phones.weight[PAD].zero_()
            self.graphemePositions.weight.normal_(0, 0.02)
            self.phonePositions.weight.normal_(0, 0.02)

    def encode(self, source):
        positions = torch.arange(source.shape[1], device=source.device)
        x = self.drop(self.graphemes(source) * self.scale + self.graphemePositions(positions))
        allowed = source.ne(PAD).view(source.shape[0], 1, 1, -1)
        for layer in self.encoder:
            x = layer(x, allowed)
        return self.encoderNorm(x), allowed

    def decode(self, memory, memory_allowed, target):
        t = target.shape[1]
        positions = torch.arange(t, device=target.device)
        x = self.drop(self.phones(target) * self.scale + self.phonePositions(positions))
        causal = torch.ones(t, t, dtype=torch.bool, device=target.device).tril().view(1, 1, t, t)
        for layer in self.decoder:
            x = layer(x, memory, causal, memory_allowed)
        return self.project(self.decoderNorm(x))


# ---- batches, decoding, scoring ----

def pad(rows, device):
    width = max(1, max(len(r) for r in rows))
    return torch.tensor([r + [PAD] * (width - len(r)) for r in rows], dtype=torch.long).to(device, non_blocking=True)


class Vocab:
    def __init__(self, config):
        self.config = config
        self.grapheme_ids = {g: i + 2 for i, g in enumerate(config["graphemes"])}
        self.phone_ids = {p: i + 3 for i, p in enumerate(config["phones"])}

    def encode(self, word):
        return [self.grapheme_ids.get(c, UNKNOWN_GRAPHEME) for c in word[:self.config["maxLength"]]]

    def phones_of(self, ids):
        out = []
        for i in ids:
            if i == END or i == PAD:
                break
            if i >= 3:
                out.append(self.config["phones"][i - 3])
        return out


@torch.no_grad()
def decode_words(models, vocab, words, device, beam=1, alpha=0.0, batch=2048, fast=False):
    """Greedy (beam 1) or beam search over the mean log-probabilities of one or more models; what G2pModel does for
    beam 1 and one model. alpha: final scores are divided by length**alpha. fast: bfloat16 (for selection during
    training only; reported figures are float32, as the CPU runs it)."""
    for m in models:
        m.eval()
    order = sorted(range(len(words)), key=lambda i: len(words[i]))
    result = [None] * len(words)
    for start in range(0, len(order), batch):
        chunk = order[start:start + batch]
        sources = [vocab.encode(words[i]) for i in chunk]
        src = pad(sources, device)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=fast):
            encoded = [m.encode(src) for m in models]
        n, k = len(chunk), beam
        longest = min(vocab.config["maxLength"] - 1, max(len(s) for s in sources) + 10)
        memories = [(mem.repeat_interleave(k, 0), al.repeat_interleave(k, 0)) for mem, al in encoded]
        ys = torch.full((n * k, 1), BEGIN, dtype=torch.long, device=device)
        scores = torch.full((n, k), float("-inf"), device=device)
        scores[:, 0] = 0
        done = torch.zeros(n * k, dtype=torch.bool, device=device)
        lengths = torch.zeros(n * k, device=device)
        for _ in range(longest):
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=fast):
                logp = sum(F.log_softmax(m.decode(mem, al, ys)[:, -1].float(), -1) for m, (mem, al) in zip(models, memories)) / len(models)
            v = logp.shape[-1]
            # A finished hypothesis only extends with padding, at no cost.
            frozen = torch.full_like(logp, float("-inf"))
            frozen[:, PAD] = 0
            logp = torch.where(done.unsqueeze(1), frozen, logp)
            total = (scores.view(-1, 1) + logp).view(n, k * v)
            scores, flat = total.topk(k, dim=1)
            parent = flat // v + torch.arange(n, device=device).unsqueeze(1) * k
            token = (flat % v).view(-1)
            parent = parent.view(-1)
            ys = torch.cat([ys[parent], token.unsqueeze(1)], 1)
            was_done = done[parent]
            lengths = lengths[parent] + (~was_done).float()
            done = was_done | token.eq(END)
            if bool(done.all()):
                break
        final = scores.view(-1) / lengths.clamp(min=1).pow(alpha) if alpha else scores.view(-1)
        final = torch.where(done, final, final - 1e4).view(n, k)
        best = final.argmax(1) + torch.arange(n, device=device) * k
        for row, i in zip(ys[best].tolist(), chunk):
            result[i] = vocab.phones_of(row[1:])
    return result


def edit_distance(a, b):
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] != b[j - 1]))
        previous = current
    return previous[len(b)]


def score(models, vocab, split, device, beam=1, alpha=0.0, fast=False):
    clock = time.time()
    predictions = decode_words(models, vocab, [w for w, _ in split], device, beam, alpha, fast=fast)
    wrong = phones = errors = 0
    for prediction, (_, variants) in zip(predictions, split):
        distance, length = min((edit_distance(prediction, v), len(v)) for v in variants)
        wrong += distance > 0
        phones += length
        errors += distance
    return {"words": len(split), "wer": wrong / len(split), "per": errors / phones, "seconds": round(time.time() - clock, 2)}


# ---- training ----

def batches(pairs, tokens, rng):
    keyed = sorted(pairs, key=lambda p: len(p[0]) + len(p[1]) + rng.random() * 2)
    out, current, width = [], [], 0
    for pair in keyed:
        w = max(width, len(pair[0]) + len(pair[1]) + 1)
        if current and w * (len(current) + 1) > tokens:
            out.append(current)
            current, w = [], len(pair[0]) + len(pair[1]) + 1
        current.append(pair)
        width = w
    if current:
        out.append(current)
    rng.shuffle(out)
    return out


def save(model, config, folder):
    os.makedirs(folder, exist_ok=True)
    # Half precision halves the file; G2pModel loads it into float32 (StateDict.LoadInto converts the dtype).
    state = {k: v.detach().to("cpu", torch.float16).contiguous() for k, v in model.state_dict().items()}
    torch.save(state, os.path.join(folder, "weights.pt"))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)


def load(folder, device):
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    model = G2pTransformer(config).to(device)
    model.load_state_dict({k: v.float() for k, v in torch.load(os.path.join(folder, "weights.pt"), map_location=device).items()})
    return model.eval(), config


def train(args):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    entries = load_dictionary(args.dict)
    train_split, dev = select(entries, "train"), select(entries, "dev")
    if args.train_limit:
        train_split = train_split[:args.train_limit]
    if args.dev_limit:
        every = len(dev) / args.dev_limit
        dev = [dev[int(i * every)] for i in range(args.dev_limit)]
    graphemes = sorted({c for w, _ in train_split for c in w})
    max_length = max(32, max(max(len(w), max(len(v) for v in vs)) + 2 for w, vs in train_split)) + 8
    config = {"graphemes": graphemes, "phones": PHONES, "dModel": args.d_model, "heads": args.heads,
              "encoderLayers": args.encoder_layers, "decoderLayers": args.decoder_layers, "feedForward": args.feed_forward,
              "dropout": args.dropout, "maxLength": max_length}
    vocab = Vocab(config)
    model = G2pTransformer(config).to(device)
    parameters = sum(p.numel() for p in model.parameters())
    pairs = [(vocab.encode(w), [vocab.phone_ids[p] for p in v]) for w, vs in train_split for v in vs]
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.98), eps=1e-9,
                                 fused=device.type == "cuda")
    os.makedirs(args.out, exist_ok=True)
    log = open(os.path.join(args.out, "training.log"), "w")

    def say(line):
        print(line, flush=True)
        log.write(line + "\n")
        log.flush()

    device_name = torch.cuda.get_device_name() if device.type == "cuda" else "cpu"
    say(f"# g2p transformer: {parameters:,} parameters; train {len(train_split):,} words ({len(pairs):,} pairs), "
        f"dev {len(dev):,}; {json.dumps({k: v for k, v in vars(args).items()})}; torch {torch.__version__} on "
        f"{device_name}")
    clock = time.time()
    step, best, best_epoch, epochs = 0, float("inf"), 0, args.epochs
    total_steps = None
    epoch = 0
    while True:
        epoch += 1
        epoch_clock = time.time()
        model.train()
        loss_sum, sampled, batch_list = 0.0, 0, batches(pairs, args.tokens, rng)
        if total_steps is None and epochs:
            total_steps = epochs * len(batch_list)
        for batch in batch_list:
            step += 1
            warm = min(1.0, step / args.warmup)
            # Cosine to zero over the planned steps; until the plan is known (first epoch of a timed run), warm-up only.
            decay = 0.5 * (1 + math.cos(math.pi * min(1.0, step / total_steps))) if total_steps else 1.0
            for group in optimizer.param_groups:
                group["lr"] = args.lr * warm * decay
            src = pad([p[0] for p in batch], device)
            tgt_in = pad([[BEGIN] + p[1] for p in batch], device)
            tgt_out = pad([p[1] + [END] for p in batch], device)
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda"):
                memory, allowed = model.encode(src)
                logits = model.decode(memory, allowed, tgt_in)
            loss = F.cross_entropy(logits.float().view(-1, logits.shape[-1]), tgt_out.view(-1), ignore_index=PAD,
                                   label_smoothing=args.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            if step % 20 == 0:  # .item() waits for the GPU: sample the loss, do not sync every step
                loss_sum, sampled = loss_sum + loss.item(), sampled + 1
        dev_score = score([model], vocab, dev, device, fast=True)
        if total_steps is None and epoch == 2:
            # A timed run fixes its epoch count after the second epoch (the first pays for warming up the GPU), so the
            # schedule, and a rerun with --epochs, is set by steps.
            seconds = time.time() - epoch_clock
            epochs = 2 + max(1, int((args.minutes * 60 - (time.time() - clock)) * 0.95 / seconds))
            total_steps = epochs * len(batch_list)
            say(f"# second epoch {seconds:.1f} s with dev: planning {epochs} epochs, {total_steps} steps")
        improved = dev_score["wer"] < best
        if improved:
            best, best_epoch = dev_score["wer"], epoch
            config["training"] = {"epochs": epochs, "bestEpoch": epoch, "devWer": round(best, 5), "trainWords": len(train_split),
                                  "seconds": round(time.time() - clock, 1), "threads": 0, "seed": args.seed,
                                  "dictionary": "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict", "batch": len(batch_list),
                                  "steps": step, "device": f"{device_name}, PyTorch {torch.__version__}, bfloat16 autocast "
                                                           "(scripts/g2p/train_transformer.py)"}
            save(model, config, args.out)
        say(f"epoch {epoch:3d}/{epochs} step {step:6d} lr {optimizer.param_groups[0]['lr']:.2e} loss(sampled) "
            f"{loss_sum / max(1, sampled):.4f} dev WER {dev_score['wer']:.4f} PER {dev_score['per']:.4f} "
            f"{time.time() - epoch_clock:.1f} s{' best' if improved else ''}")
        if epochs and epoch >= epochs:
            break
    say(f"# done: {epoch} epochs, {step} steps, {time.time() - clock:.0f} s; best dev WER {best:.4f} at epoch {best_epoch}")


def score_command(args):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    entries = load_dictionary(args.dict)
    models, configs = zip(*(load(folder, device) for folder in args.folders))
    vocab = Vocab(configs[0])
    if any(c["graphemes"] != configs[0]["graphemes"] or c["maxLength"] != configs[0]["maxLength"] for c in configs):
        raise SystemExit("the models do not share vocabularies and maxLength; they cannot be ensembled")
    report = {"models": list(args.folders)}
    for split in args.splits:
        words = select(entries, split)
        if args.limit:
            words = words[:args.limit]
        for beam in sorted({1, args.beam}):
            for alpha in ([0.0] if beam == 1 else args.alphas):
                key = f"{split} beam{beam} alpha{alpha}"
                report[key] = score(list(models), vocab, words, device, beam, alpha)
                print(f"{' + '.join(args.folders)}: {key}: WER {report[key]['wer']:.4f} PER {report[key]['per']:.4f} "
                      f"({report[key]['seconds']} s)", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("--dict", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--epochs", type=int, default=0, help="epochs (0: as many as --minutes allows, fixed after epoch 1)")
    t.add_argument("--minutes", type=float, default=6.0)
    t.add_argument("--seed", type=int, default=20261204)
    t.add_argument("--d-model", type=int, default=256)
    t.add_argument("--heads", type=int, default=4)
    t.add_argument("--encoder-layers", type=int, default=4)
    t.add_argument("--decoder-layers", type=int, default=4)
    t.add_argument("--feed-forward", type=int, default=1024)
    t.add_argument("--dropout", type=float, default=0.2)
    t.add_argument("--label-smoothing", type=float, default=0.1)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--warmup", type=int, default=1000)
    t.add_argument("--tokens", type=int, default=8000)
    t.add_argument("--train-limit", type=int, default=0)
    t.add_argument("--dev-limit", type=int, default=0)
    s = sub.add_parser("score")
    s.add_argument("folders", nargs="+")
    s.add_argument("--dict", required=True)
    s.add_argument("--beam", type=int, default=5)
    s.add_argument("--alphas", type=float, nargs="+", default=[0.0, 0.6])
    s.add_argument("--splits", nargs="+", default=["dev", "test"])
    s.add_argument("--limit", type=int, default=0)
    s.add_argument("--json")
    args = parser.parse_args()
    train(args) if args.command == "train" else score_command(args)


if __name__ == "__main__":
    main()
