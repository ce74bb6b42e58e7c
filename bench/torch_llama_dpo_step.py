#!/usr/bin/env python3
"""prefopt's own PyTorch anchor for the DPO step at real shapes: GPT-2 and
LLaMA-family models (grouped-query attention, RMSNorm, RoPE, SwiGLU), full
fine-tuning with AdamW or LoRA. Shaped like ../shared/bench/torch_dpo_step.py
(same flags, same step): one concatenated forward+backward of the policy over
chosen and rejected sequences, one no-grad forward of the frozen reference,
the sigmoid DPO loss, and an AdamW update -- what a TRL DPOTrainer step does
with default settings.

  --arch gpt2   the shared script's GPT-2 (LayerNorm, learned positions, GELU MLP of 4*dim)
  --arch llama  RMSNorm, RoPE (--rope-theta), --kv-heads key/value heads shared by
                --heads query heads, SwiGLU of width --ff, --attention-bias (biases on
                q, k, v and o, as transformers' LlamaAttention with attention_bias),
                --untied (a separate output head; tied to the embedding by default)
  --lora-rank R LoRA (Hu et al. 2021) of rank R, scale alpha/R (--lora-alpha, default 2R),
                on every linear layer of the blocks, the projections prefopt adapts
                (src/models/lm/lora.ts defaultLoraTargets): GPT-2 c_attn, c_proj (attention
                and MLP) and c_fc; LLaMA q, k, v, o, gate, up and down. A ~ U(+-1/sqrt(in)),
                B = 0; the base is frozen and only A and B are trained (AdamW). The
                reference is the same model with the adapters switched off (TRL with a
                PEFT model: no second copy of the weights); under full fine-tuning it is
                a frozen copy of the initial policy.

Needs Debian's PyTorch:  apt-get install -y python3-torch libopenblas0-pthread
Run with Debian's interpreter: /usr/bin/python3 torch_llama_dpo_step.py --help
  e.g. the Qwen2.5-0.5B shape with LoRA-8:
  /usr/bin/python3 bench/torch_llama_dpo_step.py --arch llama --layers 24 --dim 896 --heads 14 \
      --kv-heads 2 --ff 4864 --vocab 151936 --rope-theta 1e6 --attention-bias --pairs 1 --lora-rank 8

Prints one JSON line: {"engine":"torch", "pairs_per_s":..., "ms_per_step":...,
"peak_rss_mib":..., "loss_first":..., "loss_last":..., ...}. loss_first is the
loss of the first (warm-up) step: ln 2 = 0.69315, since policy = reference there.
"""
import argparse, json, math, resource, time
import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--arch", choices=["gpt2", "llama"], default="gpt2")
p.add_argument("--layers", type=int, default=4)
p.add_argument("--dim", type=int, default=256)
p.add_argument("--heads", type=int, default=4)
p.add_argument("--kv-heads", type=int, default=0, help="llama: key/value heads (0: = --heads)")
p.add_argument("--ff", type=int, default=0, help="MLP width (0: 4*dim for gpt2, required for llama)")
p.add_argument("--vocab", type=int, default=4096)
p.add_argument("--rope-theta", type=float, default=10000.0)
p.add_argument("--norm-eps", type=float, default=1e-6, help="llama's RMSNorm epsilon")
p.add_argument("--attention-bias", action="store_true", help="llama: biases on q, k, v, o")
p.add_argument("--untied", action="store_true", help="llama: an output head of its own")
p.add_argument("--prompt-len", type=int, default=64)
p.add_argument("--response-len", type=int, default=64)
p.add_argument("--pairs", type=int, default=8, help="preference pairs per step")
p.add_argument("--steps", type=int, default=5, help="timed steps, after one warm-up step")
p.add_argument("--threads", type=int, default=1)
p.add_argument("--beta", type=float, default=0.1)
p.add_argument("--lr", type=float, default=1e-5)
p.add_argument("--lora-rank", type=int, default=0, help="0: full fine-tuning")
p.add_argument("--lora-alpha", type=float, default=0, help="0: 2 * rank")
p.add_argument("--device", default="cpu", help="cpu, or cuda (float32, no compile)")
a = p.parse_args()
dev = torch.device(a.device)
torch.set_num_threads(a.threads)
torch.manual_seed(0)
T = a.prompt_len + a.response_len
D, H, L, V = a.dim, a.heads, a.layers, a.vocab
KV = a.kv_heads or H
HD = D // H
FF = a.ff or 4 * D
R = a.lora_rank
SCALE = (a.lora_alpha or 2 * R) / R if R else 0.0


class LoRALinear(torch.nn.Module):
    """y = base(x) + (alpha/r) (x A) B with base frozen; `on` False gives the base alone."""

    on = True  # the adapters are switched off for the reference forward

    def __init__(self, base):
        super().__init__()
        self.base = base.requires_grad_(False)
        bound = 1 / math.sqrt(base.in_features)
        self.A = torch.nn.Parameter(torch.empty(base.in_features, R).uniform_(-bound, bound))
        self.B = torch.nn.Parameter(torch.zeros(R, base.out_features))

    def forward(self, x):
        y = self.base(x)
        return y + SCALE * ((x @ self.A) @ self.B) if LoRALinear.on else y


def linear(i, o, bias=True):
    return LoRALinear(torch.nn.Linear(i, o, bias)) if R else torch.nn.Linear(i, o, bias)


def causal_attention(q, k, v):
    att = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
    att = att.masked_fill(~torch.tril(torch.ones(T, T, dtype=torch.bool, device=q.device)), float("-inf"))
    return att.softmax(-1) @ v


class GPT2Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1 = torch.nn.LayerNorm(D)
        self.c_attn = linear(D, 3 * D)
        self.c_proj = linear(D, D)
        self.ln_2 = torch.nn.LayerNorm(D)
        self.c_fc = linear(D, FF)
        self.c_proj2 = linear(FF, D)

    def forward(self, x):
        B = x.shape[0]
        q, k, v = self.c_attn(self.ln_1(x)).split(D, dim=2)
        q, k, v = (t.view(B, T, H, HD).transpose(1, 2) for t in (q, k, v))
        y = causal_attention(q, k, v).transpose(1, 2).reshape(B, T, D)
        x = x + self.c_proj(y)
        return x + self.c_proj2(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class RMSNorm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(D))

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + a.norm_eps))


def rope_tables(device):
    inv = 1.0 / (a.rope_theta ** (torch.arange(0, HD, 2, dtype=torch.float32, device=device) / HD))
    ang = torch.arange(T, dtype=torch.float32, device=device)[:, None] * inv[None, :]
    ang = torch.cat([ang, ang], -1)  # transformers' rotate_half layout
    return ang.cos(), ang.sin()


def rope(x, cos, sin):
    x1, x2 = x[..., : HD // 2], x[..., HD // 2 :]
    return x * cos + torch.cat([-x2, x1], -1) * sin


class LlamaBlock(torch.nn.Module):
    def __init__(self):
        super().__init__()
        bias = a.attention_bias
        self.input_layernorm = RMSNorm()
        self.q_proj = linear(D, H * HD, bias)
        self.k_proj = linear(D, KV * HD, bias)
        self.v_proj = linear(D, KV * HD, bias)
        self.o_proj = linear(H * HD, D, bias)
        self.post_attention_layernorm = RMSNorm()
        self.gate_proj = linear(D, FF, False)
        self.up_proj = linear(D, FF, False)
        self.down_proj = linear(FF, D, False)

    def forward(self, x, cos, sin):
        B = x.shape[0]
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(B, T, H, HD).transpose(1, 2)
        k = self.k_proj(h).view(B, T, KV, HD).transpose(1, 2)
        v = self.v_proj(h).view(B, T, KV, HD).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        # grouped-query attention: each key/value head serves H / KV query heads
        k, v = k.repeat_interleave(H // KV, 1), v.repeat_interleave(H // KV, 1)
        y = causal_attention(q, k, v).transpose(1, 2).reshape(B, T, H * HD)
        x = x + self.o_proj(y)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class GPT(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = torch.nn.Embedding(V, D)
        self.wpe = torch.nn.Embedding(T, D)
        self.h = torch.nn.ModuleList(GPT2Block() for _ in range(L))
        self.ln_f = torch.nn.LayerNorm(D)

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(T, device=idx.device))
        for b in self.h:
            x = b(x)
        return self.ln_f(x) @ self.wte.weight.T


class Llama(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = torch.nn.Embedding(V, D)
        self.layers = torch.nn.ModuleList(LlamaBlock() for _ in range(L))
        self.norm = RMSNorm()
        self.lm_head = torch.nn.Linear(D, V, bias=False) if a.untied else None

    def forward(self, idx):
        cos, sin = rope_tables(idx.device)
        x = self.embed_tokens(idx)
        for b in self.layers:
            x = b(x, cos, sin)
        x = self.norm(x)
        return self.lm_head(x) if self.lm_head is not None else x @ self.embed_tokens.weight.T


def response_logps(model, seqs):
    logits = model(seqs)[:, a.prompt_len - 1 : -1]
    labels = seqs[:, a.prompt_len :]
    return torch.gather(logits.log_softmax(-1), 2, labels.unsqueeze(-1)).squeeze(-1).sum(-1)


Model = GPT if a.arch == "gpt2" else Llama
policy = Model().to(dev)
if R:
    # embeddings, norms and biases frozen too: only the adapters train
    for name, w in policy.named_parameters():
        w.requires_grad_(name.endswith(".A") or name.endswith(".B"))
    ref = policy  # the reference: the adapters switched off

    def ref_logps(seqs):
        LoRALinear.on = False
        try:
            return response_logps(policy, seqs)
        finally:
            LoRALinear.on = True
else:
    ref = Model().to(dev)
    ref.load_state_dict(policy.state_dict())
    ref.requires_grad_(False)

    def ref_logps(seqs):
        return response_logps(ref, seqs)


trained = [w for w in policy.parameters() if w.requires_grad]
opt = torch.optim.AdamW(trained, lr=a.lr)
n = a.pairs
prompt = torch.randint(0, V, (n, a.prompt_len), device=dev)
chosen = torch.cat([prompt, torch.randint(0, V, (n, a.response_len), device=dev)], 1)
rejected = torch.cat([prompt, torch.randint(0, V, (n, a.response_len), device=dev)], 1)
batch = torch.cat([chosen, rejected], 0)


def step():
    lp = response_logps(policy, batch)
    with torch.no_grad():
        rl = ref_logps(batch)
    z = a.beta * ((lp[:n] - rl[:n]) - (lp[n:] - rl[n:]))
    loss = F.softplus(-z).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


loss_first = step()  # warm-up
loss = loss_first
t0 = time.perf_counter()
for _ in range(a.steps):
    loss = step()  # loss.item() synchronises with the device
dt = (time.perf_counter() - t0) / a.steps
print(
    json.dumps(
        {
            "engine": "torch",
            "anchor": "bench/torch_llama_dpo_step.py",
            "arch": a.arch,
            "training": f"lora-{R}" if R else "full",
            "device": a.device,
            "threads": a.threads,
            "params": sum(w.numel() for w in policy.parameters()),
            "trained": sum(w.numel() for w in trained),
            "pairs_per_s": round(n / dt, 3),
            "ms_per_step": round(dt * 1000, 1),
            "loss_first": round(loss_first, 5),
            "loss_last": round(loss, 5),
            # this process's peak resident set (ru_maxrss: KiB on Linux)
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    )
)
