"""Slow, obvious BatchBALD for tiny pools: plain Python floats, every configuration of the
labels enumerated with itertools.product, the acquisition function evaluated as written,

    a(batch) = H(y_batch) - sum_i mean_t H(p_t(y_i)),   p(y) = mean_t prod_i p_t(y_i),

for every candidate extension of the batch. The sampled regime replays the kernel's draws from
the same generator (torch only draws the uniforms) and evaluates the paper's importance-weighted
joint entropy literally: -(1/M) sum_m sum_c [p(y_m, c) / p(y_m)] log p(y_m, c).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch


def entropy(probs) -> float:
    """-sum p log p with 0 log 0 = 0."""
    return -sum(p * math.log(p) for p in probs if p > 0)


def expected_entropy(mc: np.ndarray, point: int) -> float:
    """mean_t H(p_t(y | x_point))."""
    return sum(entropy(mc[t, point]) for t in range(mc.shape[0])) / mc.shape[0]


def joint_probs(mc: np.ndarray, points: list[int]) -> dict[tuple[int, ...], float]:
    """p(y) = mean_t prod_i p_t(y_i | x_i) of every configuration y of the points' labels."""
    passes, _, n_classes = mc.shape
    table = {}
    for labels in itertools.product(range(n_classes), repeat=len(points)):
        total = 0.0
        for t in range(passes):
            product = 1.0
            for point, label in zip(points, labels, strict=True):
                product *= float(mc[t, point, label])
            total += product
        table[labels] = total / passes
    return table


def joint_entropy(mc: np.ndarray, points: list[int]) -> float:
    """H(y_points), exactly."""
    return entropy(joint_probs(mc, points).values())


def batchbald_value(mc: np.ndarray, points: list[int]) -> float:
    """a_BatchBALD(points) = H(y_points) - sum_i E_w H(y_i | w)."""
    return joint_entropy(mc, points) - sum(expected_entropy(mc, i) for i in points)


def reference_batchbald(
    mc: np.ndarray,
    labelled: np.ndarray,
    budget: int,
    generator: torch.Generator | None = None,
    samples: int = 40_000,
) -> tuple[list[int], list[float]]:
    """Greedy BatchBALD: picks and each pick's gain a(batch + x) - a(batch), clamped at 0, ties
    to the smaller index. Exact while C^k <= samples (k: picks so far); beyond, the gains come
    from configurations drawn by :func:`replay_configurations` (``generator`` needed then)."""
    n_classes = mc.shape[2]
    picks: list[int] = []
    scores: list[float] = []
    for _ in range(budget):
        candidates = [i for i in range(mc.shape[1]) if not labelled[i] and i not in picks]
        if picks and n_classes ** len(picks) > samples:
            assert generator is not None
            configurations = replay_configurations(mc, picks, samples, generator)
            gains = [sampled_gain(mc, configurations, x) for x in candidates]
        else:
            before = batchbald_value(mc, picks)
            gains = [batchbald_value(mc, [*picks, x]) - before for x in candidates]
        best, best_gain = None, -math.inf
        for x, gain in zip(candidates, gains, strict=True):
            gain = max(gain, 0.0)
            if gain > best_gain:  # strict: ties keep the smaller index
                best, best_gain = x, gain
        assert best is not None
        picks.append(best)
        scores.append(best_gain)
    return picks, scores


def replay_configurations(
    mc: np.ndarray, picks: list[int], samples: int, generator: torch.Generator
) -> list[list[float]]:
    """The kernel's draw, replayed: S = max(1, samples // T) configurations under each pass t
    (configuration (t, s)); for each pick in pick order one torch.rand((T, S)) float64; the
    label of configuration (t, s) for that pick is min(#{c : F_t(c) <= u F_t(C-1)}, last_t),
    F_t the running sums of p_t over the classes in order, last_t the largest class with
    p_t > 0. Returns each configuration's products [prod_i p_t'(y_i) for t' in passes]."""
    passes, _, n_classes = mc.shape
    per_pass = max(1, samples // passes)
    labels = [[[0] * len(picks) for _ in range(per_pass)] for _ in range(passes)]
    for i, point in enumerate(picks):
        uniforms = torch.rand((passes, per_pass), dtype=torch.float64, generator=generator)
        for t in range(passes):
            running, cumulative = 0.0, []
            for c in range(n_classes):
                running += float(mc[t, point, c])
                cumulative.append(running)
            last = max(c for c in range(n_classes) if mc[t, point, c] > 0)
            for s in range(per_pass):
                target = float(uniforms[t, s]) * cumulative[-1]
                below = sum(1 for value in cumulative if value <= target)
                labels[t][s][i] = min(below, last)
    configurations = []
    for t in range(passes):
        for s in range(per_pass):
            products = []
            for t2 in range(passes):
                product = 1.0
                for i, point in enumerate(picks):
                    product *= float(mc[t2, point, labels[t][s][i]])
                products.append(product)
            configurations.append(products)
    return configurations


def sampled_gain(mc: np.ndarray, configurations: list[list[float]], x: int) -> float:
    """Ĥ(y_picks, y_x) - Ĥ(y_picks) - E_w H(y_x | w) from the drawn configurations: the
    importance-weighted joint entropy less -(1/M) sum_m log p(y_m), both as the paper writes."""
    passes, _, n_classes = mc.shape
    count = len(configurations)
    joint, prior = 0.0, 0.0
    for products in configurations:
        p_config = sum(products) / passes
        prior -= math.log(p_config) / count
        for c in range(n_classes):
            p_joint = sum(products[t] * float(mc[t, x, c]) for t in range(passes)) / passes
            if p_joint > 0:
                joint -= (p_joint / p_config) * math.log(p_joint) / count
    return joint - prior - expected_entropy(mc, x)


def stratified_joint_entropy_moments(
    mc: np.ndarray, picks: list[int], x: int, per_pass: int
) -> tuple[float, float]:
    """H(y_picks, y_x) exactly, and the standard deviation of its sampled estimate from
    ``per_pass`` configurations drawn under each pass: the estimate averages
    g(y) = -log p(y) + H(p(y_x | y)) over the draws, so its variance is
    (1 / (T S)) mean_t Var_{y ~ p_t}[g(y)], every Var_t computed here by enumeration."""
    passes = mc.shape[0]
    table = joint_probs(mc, picks)
    extended = joint_probs(mc, [*picks, x])
    g = {}
    for labels, p_config in table.items():
        if p_config == 0:
            continue
        conditional = [extended[(*labels, c)] / p_config for c in range(mc.shape[2])]
        g[labels] = -math.log(p_config) + entropy(conditional)
    variances = []
    for t in range(passes):
        weights = {}
        for labels in g:
            product = 1.0
            for point, label in zip(picks, labels, strict=True):
                product *= float(mc[t, point, label])
            weights[labels] = product
        mean = sum(weights[y] * g[y] for y in g)
        variances.append(sum(weights[y] * (g[y] - mean) ** 2 for y in g))
    variance = sum(variances) / passes / (passes * per_pass)
    return entropy(extended.values()), math.sqrt(variance)
