"""alcore's Adam against torch.optim.Adam: the same parameters after every step, bit for bit."""

import subprocess
import sys

import pytest
import torch

from alcore.stages.adam import Adam


def model_and_batches(seed: int):
    g = torch.Generator().manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3, bias=False)
    )
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    batches = [(torch.randn(8, 6, generator=g), torch.randint(3, (8,), generator=g))
               for _ in range(25)]  # fmt: skip
    return model, batches


def train(model, optimiser, batches, zero_grad):
    for x, y in batches:
        zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimiser.step()


@pytest.mark.parametrize("lr", [1e-3, 0.01, 0.3])
def test_adam_equals_torch_adam_bit_for_bit(lr):
    ours, batches = model_and_batches(0)
    reference, _ = model_and_batches(0)
    mine = Adam(ours.parameters(), lr=lr)
    theirs = torch.optim.Adam(reference.parameters(), lr=lr, foreach=False)
    train(ours, mine, batches, mine.zero_grad)
    train(reference, theirs, batches, lambda: theirs.zero_grad(set_to_none=True))
    for a, b in zip(ours.parameters(), reference.parameters(), strict=True):
        assert torch.equal(a, b)
    assert mine.steps == [25, 25, 25]


def test_a_resumed_adam_continues_exactly():
    whole, batches = model_and_batches(1)
    resumed, _ = model_and_batches(1)
    first = Adam(whole.parameters(), lr=0.01)
    train(whole, first, batches, first.zero_grad)
    second = Adam(resumed.parameters(), lr=0.01)
    train(resumed, second, batches[:10], second.zero_grad)
    restarted = Adam(resumed.parameters(), lr=0.01)
    restarted.load_state_dict(second.state_dict())
    train(resumed, restarted, batches[10:], restarted.zero_grad)
    for a, b in zip(whole.parameters(), resumed.parameters(), strict=True):
        assert torch.equal(a, b)
    with pytest.raises(ValueError, match="not that of an alcore Adam"):
        Adam(resumed.parameters(), lr=0.01).load_state_dict({"state": {}, "exp_avg": [],
                                                            "exp_avg_sq": []})  # fmt: skip


@pytest.mark.slow
def test_training_with_it_imports_no_dynamo():
    # the reason it exists: torch.optim imports torch._dynamo, 2 s of every train job
    code = (
        "import sys, torch; from alcore.stages.adam import Adam; "
        "m = torch.nn.Linear(3, 2); o = Adam(m.parameters(), lr=0.1); "
        "m(torch.ones(1, 3)).sum().backward(); o.step(); print('torch._dynamo' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
