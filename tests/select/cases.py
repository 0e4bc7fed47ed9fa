"""Small test inputs shared by the selection tests."""

import torch


def clustered(n: int, d: int, clusters: int, seed: int, spread: float = 0.3) -> torch.Tensor:
    """(n, d) float32 points around ``clusters`` well-separated centres."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(clusters, d, generator=g) * 10.0
    labels = torch.randint(clusters, (n,), generator=g)
    return centres[labels] + spread * torch.randn(n, d, generator=g)


def labelled_mask(n: int, count: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    mask = torch.zeros(n, dtype=torch.bool)
    mask[torch.randperm(n, generator=g)[:count]] = True
    return mask
