# %% [markdown]
# # gdshrink from Python: GD is a mask on the singular values
#
# A notebook in percent format (Jupyter, VS Code and jupytext open it as
# cells); `python examples/python/quickstart.py` runs it top to bottom, and
# the Python tests run it as a test.
#
# After q steps at rate alpha from w = 0, gradient descent on features A gives
# f_q = U diag(1 - (1 - alpha s^2)^q) U^T y. We check that on features of our
# own (a random two-layer network's hidden layer), on the CPU and on the GPU.

# %%
import numpy as np

import gdshrink as g

rng = np.random.default_rng(0)
x = np.linspace(-1, 1, 200)
W1, b1 = rng.normal(size=(1, 300)), rng.normal(size=300)
A = np.tanh(x[:, None] @ W1 + b1).astype(np.float32)  # our own features, 200 x 300
y = np.sign(np.sin(3 * x))  # a square wave

# %% The closed form for many q from one SVD
svd = g.thin_svd(A)
alpha = 1.0 / svd.s_max**2
qs = [1, 10, 100, 1000, 10000]
closed = g.shrink(svd, y, qs=qs)
print("loss by q (closed form):", np.round(closed["loss"], 4))

# %% Literal GD: the f64 CPU engine, then the f32 GPU engine (wgpu)
cpu = g.gd(A, y, alpha=alpha, qs=qs)
gap = np.abs(cpu["f"] - closed["f"]).max()
print(f"CPU GD vs closed form: max |difference| = {gap:.1e}")
assert gap < 1e-9

try:
    gpu = g.gd(A, y, alpha=alpha, qs=qs, device="gpu")
except RuntimeError as e:  # no GPU adapter on this machine
    print("GPU skipped:", e)
else:
    for k, q in enumerate(qs):
        err = np.linalg.norm(gpu["f"][k] - cpu["f"][k]) / np.linalg.norm(cpu["f"][k])
        assert err <= g.f32_tolerance(A, q)
    print("GPU:", gpu["engine"]["name"], "- every q within the f32 error model")

# %% Which components are fitted by when: q(K) and the masks
rows = g.qk(svd, k_max=8)
print("q(K):", [r["q"] for r in rows])
m = g.mask_values([g.gd_exact(alpha, 100), g.ridge(1.0 / (alpha * 100))], svd.s[:8])
print("gd_exact vs ridge at q = 100:\n", np.round(m, 3))
