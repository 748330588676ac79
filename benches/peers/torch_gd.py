#!/usr/bin/env python3
"""Peer benchmark: the same batched full-batch GD as `cargo bench --bench gpu`,
written as a plain PyTorch loop, for comparing GD steps/s on one GPU.

    W <- W + (A^T (Y - A W)) diag(alpha)          (primal, A stored, f32)
    C <- C + R diag(alpha), R = Y - K C, K = A A^T (dual, --strategy dual)

A_ij = tanh(sigma (x_i - b_j)), linspace grids on [0, 1] (x_i = i/(N-1), exact
division), sigma = 30, B runs with alpha = 1/(N M) (stable since |A_ij| <= 1),
as in benches/gpu.rs. Every timed region ends with torch.cuda.synchronize(), so
the clock never stops before the GPU does; set-up (building A, forming K) is
timed separately. Prints a markdown row in the format of the gdshrink summary:

| N | M | B | strategy | set-up (s) | steps/s | eff. GB/s | GFLOP/s |

Effective bytes and flops per step use the same definitions as
src/gpu/plan.rs (step_bytes, step_flops): primal reads A twice (8 N M bytes)
plus the B-column states, 4 N M B flops; dual reads K once, 2 N^2 B flops.

Usage (on a machine with CUDA and PyTorch):
    python3 benches/peers/torch_gd.py --n 4096 --m 4096 --b 16 --strategy primal
    python3 benches/peers/torch_gd.py --all          # every size of the full bench
"""

import argparse
import time

import torch


def grid(n, device):
    i = torch.arange(n, dtype=torch.float64, device=device)
    return (i / (n - 1) if n > 1 else i).to(torch.float32)


def design(n, m, sigma, device):
    x = grid(n, device)
    b = grid(m, device)
    # sigma * (x - b) in this order, as the WGSL kernel does.
    return torch.tanh(sigma * (x[:, None] - b[None, :]))


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run(n, m, nb, strategy, steps, device):
    sync(device)
    t0 = time.perf_counter()
    a = design(n, m, 30.0, device)
    x = grid(n, device)
    y = torch.stack([torch.sin((k + 1) * 3.0 * x) for k in range(nb)], dim=1)
    alpha = torch.full((nb,), 1.0 / (n * m), dtype=torch.float32, device=device)
    if strategy == "dual" and n <= m:
        k = a @ a.T
        c = torch.zeros((n, nb), dtype=torch.float32, device=device)

        def step():
            nonlocal c
            r = y - k @ c
            c = c + r * alpha

        step_bytes = 4.0 * n * n + 4.0 * n * nb * 5
        step_flops = 2.0 * n * n * nb
    elif strategy == "dual":
        g = a.T @ a
        h = a.T @ y
        w = torch.zeros((m, nb), dtype=torch.float32, device=device)

        def step():
            nonlocal w
            w = w + (h - g @ w) * alpha

        step_bytes = 4.0 * m * m + 4.0 * m * nb * 4
        step_flops = 2.0 * m * m * nb
    else:
        w = torch.zeros((m, nb), dtype=torch.float32, device=device)

        def step():
            nonlocal w
            r = y - a @ w
            w = w + (a.T @ r) * alpha

        step_bytes = 8.0 * n * m + 4.0 * nb * (2 * n + 3 * m)
        step_flops = 4.0 * n * m * nb
    sync(device)
    setup = time.perf_counter() - t0
    for _ in range(10):  # warm-up (kernel selection, allocator)
        step()
    sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    secs = time.perf_counter() - t0
    rate = steps / secs
    print(
        f"| {n} | {m} | {nb} | {strategy} (torch) | {setup:.3f} | {rate:.1f} | "
        f"{rate * step_bytes / 1e9:.2f} | {rate * step_flops / 1e9:.2f} |",
        flush=True,
    )


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=256)
    p.add_argument("--m", type=int, default=1024)
    p.add_argument("--b", type=int, default=1)
    p.add_argument("--strategy", choices=["primal", "dual"], default="primal")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--device", default="cuda")
    p.add_argument("--all", action="store_true", help="every size of the full bench")
    args = p.parse_args()
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"device: {name}, torch {torch.__version__}")
    print("| N | M | B | strategy | set-up (s) | steps/s | eff. GB/s | GFLOP/s |")
    print("|---|---|---|---|---|---|---|---|")
    if args.all:
        for n, m in [(1024, 1024), (4096, 4096), (256, 1024)]:
            for nb in [1, 16, 64]:
                for strategy in ["primal", "dual"]:
                    run(n, m, nb, strategy, args.steps, device)
    else:
        run(args.n, args.m, args.b, args.strategy, args.steps, device)


if __name__ == "__main__":
    main()
