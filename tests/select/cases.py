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


def vgg_like(n: int, d: int, seed: int, classes: int = 10, rank: int = 64) -> torch.Tensor:
    """(n, d) float32 non-negative, sparse features like a CNN's ReLU layer (VGG fc7).

    ReLU of a random rank-``rank`` projection of ``classes`` tight latent clusters, plus noise,
    shifted down so that about half the entries are 0. Distances concentrate: a point's
    distances to the centres of its own class differ by far less than the float32 screening
    margin, which scales with the squared norms.
    """
    g = torch.Generator().manual_seed(seed)
    means = 6.0 * torch.randn(classes, rank, generator=g)
    latent = means[torch.randint(classes, (n,), generator=g)]
    latent += 0.3 * torch.randn(n, rank, generator=g)
    projection = torch.randn(rank, d, generator=g) / rank**0.5
    features = latent @ projection - 1.0 + 0.3 * torch.randn(n, d, generator=g)
    return features.clamp_(min=0.0)


def integer_ties(n: int, d: int, seed: int, classes: int = 4) -> torch.Tensor:
    """(n, d) float32 small integers on which every distance step is exact in float32.

    Each point is one of ``classes`` patterns of 0 and 8 plus a sparse 0/1 perturbation. With
    ``n`` a power of 2 the column means (sums / n), the centred values, their differences,
    squares and sums (integers below 2^24) are all exact. Squared distances within a class are
    small integers (the perturbations that differ) that often tie exactly or differ by 1, while
    the squared norms are about 16 d: the float32 screening margin is several units, so the
    screen cannot separate these near-ties and the direct distances must.
    """
    g = torch.Generator().manual_seed(seed)
    patterns = 8.0 * (torch.rand(classes, d, generator=g) < 0.5).float()
    fine = (torch.rand(n, d, generator=g) < 0.01).float()
    return patterns[torch.randint(classes, (n,), generator=g)] + fine
