"""Adam, written out: the arithmetic of ``torch.optim.Adam`` with its defaults, bit for bit.

Why not ``torch.optim.Adam`` itself: constructing or stepping any ``torch.optim`` optimiser
imports ``torch._dynamo`` (to mark the optimiser as not compilable), about 2 s of start-up in
every train job, more than the training of a small model takes. The update below is PyTorch's
single-tensor path (``foreach=False``; betas (0.9, 0.999), eps 1e-8, no weight decay, no
amsgrad), operation for operation, so it gives the same parameters as
``torch.optim.Adam(params, lr, foreach=False)`` after any number of steps (tested).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor


class Adam:
    """Adam over ``params`` (Kingma & Ba, 2015) with learning rate ``lr``.

    State per parameter: the step count and the running first and second moments, created at
    the parameter's first step. ``state_dict`` holds tensors and numbers only (checkpoints are
    loaded with ``weights_only=True``).
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ):
        self.params = list(params)
        self.lr, self.betas, self.eps = float(lr), betas, float(eps)
        self.steps = [0] * len(self.params)
        self.exp_avg: list[Tensor | None] = [None] * len(self.params)
        self.exp_avg_sq: list[Tensor | None] = [None] * len(self.params)

    def zero_grad(self) -> None:
        """Drop every gradient (``set_to_none=True``: the next backward allocates fresh ones)."""
        for param in self.params:
            param.grad = None

    @torch.no_grad()
    def step(self) -> None:
        beta1, beta2 = self.betas
        for i, param in enumerate(self.params):
            grad = param.grad
            if grad is None:
                continue
            exp_avg, exp_avg_sq = self.exp_avg[i], self.exp_avg_sq[i]
            if exp_avg is None or exp_avg_sq is None:
                exp_avg = self.exp_avg[i] = torch.zeros_like(param)
                exp_avg_sq = self.exp_avg_sq[i] = torch.zeros_like(param)
            self.steps[i] += 1
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            # PyTorch counts steps in a float32 tensor and reads the count back as a Python
            # float; counts below 2**24 are exact either way
            bias_correction1 = 1 - beta1 ** float(self.steps[i])
            bias_correction2 = 1 - beta2 ** float(self.steps[i])
            step_size = self.lr / bias_correction1
            denom = (exp_avg_sq.sqrt() / bias_correction2**0.5).add_(self.eps)
            param.addcdiv_(exp_avg, denom, value=-step_size)

    def state_dict(self) -> dict[str, object]:
        return {
            "lr": self.lr,
            "steps": list(self.steps),
            "exp_avg": list(self.exp_avg),
            "exp_avg_sq": list(self.exp_avg_sq),
        }

    def load_state_dict(self, state: dict[str, object]) -> None:
        """Continue from :meth:`state_dict` of an optimiser over the same parameters."""
        steps, exp_avg, exp_avg_sq = (state.get(k) for k in ("steps", "exp_avg", "exp_avg_sq"))
        n = len(self.params)
        if not all(isinstance(v, list) and len(v) == n for v in (steps, exp_avg, exp_avg_sq)):
            raise ValueError(
                f"the optimiser state is not that of an alcore Adam over {n} parameters; "
                "retrain the round from its start (delete the .partial file)"
            )
        assert isinstance(steps, list) and isinstance(exp_avg, list)  # checked above
        assert isinstance(exp_avg_sq, list)
        self.steps = [int(count) for count in steps]
        self.exp_avg = self._on_devices(exp_avg)
        self.exp_avg_sq = self._on_devices(exp_avg_sq)

    def _on_devices(self, moments: list[Tensor | None]) -> list[Tensor | None]:
        return [None if m is None else m.to(p.device)
                for m, p in zip(moments, self.params, strict=True)]  # fmt: skip
