"""Writes torch_steps.txt: parameters after each of 5 torch.optim steps with fixed gradients, for
OptimizerReferenceTest (amsgrad, maximize, momentum switched on mid-run). Run: /usr/bin/python3 torch_steps.py
(PyTorch 1.13, float32, foreach=False)."""
import torch

torch.manual_seed(1234)
N, STEPS = 8, 5
p0 = torch.randn(N)
grads = [torch.randn(N) for _ in range(STEPS)]

cases = [
    ("adam_amsgrad", lambda p: torch.optim.Adam([p], lr=0.01, amsgrad=True, foreach=False), None),
    ("adam_amsgrad_l2", lambda p: torch.optim.Adam([p], lr=0.01, amsgrad=True, weight_decay=0.1, foreach=False), None),
    ("adamw_amsgrad", lambda p: torch.optim.AdamW([p], lr=0.01, amsgrad=True, weight_decay=0.05, foreach=False), None),
    ("adam_maximize", lambda p: torch.optim.Adam([p], lr=0.01, maximize=True, foreach=False), None),
    ("sgd_maximize", lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01,
                                               maximize=True, foreach=False), None),
    ("rmsprop_maximize", lambda p: torch.optim.RMSprop([p], lr=0.01, momentum=0.5, centered=True, maximize=True,
                                                       foreach=False), None),
    # momentum 0 for two steps, then 0.9: the buffer starts from that step's gradient
    ("sgd_momentum_later", lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.0, foreach=False), (2, "momentum", 0.9)),
]

def row(tag, t):
    return tag + " " + " ".join("%.9g" % v for v in t.tolist())

with open("torch_steps.txt", "w") as out:
    out.write("# torch %s; lines: case NAME, p0, g1..g5, p1..p5 (parameters after each step)\n" % torch.__version__)
    for name, make, change in cases:
        p = torch.nn.Parameter(p0.clone())
        opt = make(p)
        out.write("case " + name + "\n" + row("p0", p0) + "\n")
        for t, g in enumerate(grads, 1):
            out.write(row("g%d" % t, g) + "\n")
        for t, g in enumerate(grads, 1):
            if change is not None and t == change[0] + 1:
                opt.param_groups[0][change[1]] = change[2]
            p.grad = g.clone()
            opt.step()
            out.write(row("p%d" % t, p.detach()) + "\n")
