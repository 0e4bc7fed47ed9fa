# Config validation, wildcard constraints and path functions. Layout: alcore.workflow.paths.
from alcore.workflow import paths
from alcore.workflow.code_version import code_version
from alcore.workflow.config import gpus_per_model_job, parse_config
from alcore.workflow.preflight import check_inputs
from alcore.workflow.resources import memory_mb
from alcore.workflow.schema import check_schema


# defaults are documented in the schema and applied by parse_config (one place), so that
# "rounds" and "ceiling" are not both filled in
check_schema(config, workflow.source_path("../schemas/config.schema.yaml"))
CFG = parse_config(config)
check_inputs(CFG)  # data and weights on disk (or downloadable) before any job starts
RESULTS, LOGS = CFG.results, CFG.logs
# gpu=1 on the model rules only when they will use the GPU (config request_gpu), so that
# --resources gpu=1 serialises GPU jobs without serialising CPU ones
GPU = gpus_per_model_job(CFG)


wildcard_constraints:
    experiment="[A-Za-z0-9_-]+",
    dataset="[A-Za-z0-9_-]+",
    arm="[A-Za-z0-9_-]+",
    strategy="[A-Za-z0-9_-]+",
    seed=r"\d+",
    round=r"\d+",


def mem_mb(stage):
    """Resource function: the memory a job of ``stage`` declares (alcore.workflow.resources)."""
    return lambda w: memory_mb(stage, CFG.dataset(w.experiment, w.dataset))


def checkpoint_file(path):
    """A model.pt output: a Snakemake temp file unless every checkpoint is kept; the last
    round's stay, since every_round_file() asks for them as targets."""
    return path if CFG.keep_checkpoints == "all" else temp(path)


def run_dir(w, arm=None, round_=None):
    """The round folder of the job's wildcards (or of another arm/round)."""
    return paths.round_dir(
        RESULTS, w.experiment, w.dataset, arm or w.arm, int(w.seed),
        int(w.round) if round_ is None else round_,
    )


def get_labelled(w):
    """The labelled set a model of (arm, round) trains on; for select, that of (strategy, round)."""
    arm = getattr(w, "arm", None) or w.strategy
    return paths.labelled_file(RESULTS, w.experiment, w.dataset, arm, int(w.seed), int(w.round))


def get_previous_model(w):
    """Round r-1's checkpoint, when round r warm-starts from it."""
    settings = CFG.dataset(w.experiment, w.dataset)
    r = int(w.round)
    if r == 0 or not settings.train.warm_start:
        return []
    return paths.stage_file(RESULTS, w.experiment, w.dataset, w.arm, int(w.seed), r - 1, "model.pt")


def get_round_file(name):
    """Input function: ``name`` (model.pt, embedding.parquet) of the strategy's round."""

    def function(w):
        return paths.stage_file(
            RESULTS, w.experiment, w.dataset, w.strategy, int(w.seed), int(w.round), name
        )

    return function


def get_select_embedding(w):
    return get_round_file("embedding.parquet")(w) if CFG.strategies[w.strategy].needs_embedding else []


def needs_embedding(experiment, arm):
    """Whether the models of ``arm`` are embedded (round 0: if any strategy needs it)."""
    if arm == paths.INITIAL:
        names = CFG.experiments[experiment].strategies
        return any(CFG.strategies[s].needs_embedding for s in names)
    return CFG.strategies[arm].needs_embedding


def get_evaluate_embedding(w):
    return f"{run_dir(w)}/embedding.parquet" if needs_embedding(w.experiment, w.arm) else []


def get_evaluate_model(w):
    """Only arms without an embedding (random) run the model in evaluate."""
    return [] if needs_embedding(w.experiment, w.arm) else f"{run_dir(w)}/model.pt"


def run_metrics(experiment, dataset, strategy, seed):
    """Every metrics file of one (dataset, strategy, seed) run, rounds 0..R."""
    rounds = CFG.dataset(experiment, dataset).rounds
    return [
        paths.stage_file(RESULTS, experiment, dataset, strategy, seed, r, "metrics.parquet")
        for r in range(rounds + 1)
    ]


def run_acquisitions(experiment, dataset, strategy, seed):
    rounds = CFG.dataset(experiment, dataset).rounds
    return [
        f"{paths.round_dir(RESULTS, experiment, dataset, strategy, seed, r)}/acquisitions.parquet"
        for r in range(rounds)
    ]


def experiment_runs(experiment):
    e = CFG.experiments[experiment]
    return [(d, s, seed) for d in e.datasets for s in e.strategies for seed in e.seeds]


def experiment_metrics(w):
    return [f for run in experiment_runs(w.experiment) for f in run_metrics(w.experiment, *run)]


def experiment_acquisitions(w):
    return [
        f for run in experiment_runs(w.experiment) for f in run_acquisitions(w.experiment, *run)
    ]


def every_round_file():
    """Every stage file of every run. The targets ask for them all: Snakemake would otherwise
    leave a deleted intermediate missing while the tables made from it are present."""
    files = []
    for e in CFG.experiments:
        for dataset, strategy, seed in experiment_runs(e):
            rounds = CFG.dataset(e, dataset).rounds
            for r in range(rounds + 1):
                arm = paths.model_arm(strategy, r)
                files.append(paths.labelled_file(RESULTS, e, dataset, arm, seed, r))
                names = ["metrics.parquet"]
                if r == rounds or CFG.keep_checkpoints == "all":
                    names.append("model.pt")
                if needs_embedding(e, arm):
                    names.append("embedding.parquet")
                files += [paths.stage_file(RESULTS, e, dataset, strategy, seed, r, n) for n in names]
            files += run_acquisitions(e, dataset, strategy, seed)
    return sorted(set(files))


def all_metrics():
    return [f"{RESULTS}/{e}/metrics.parquet" for e in CFG.experiments]


def all_summaries():
    return [f"{RESULTS}/{e}/summary.md" for e in CFG.experiments]


def all_figure_files():
    return [
        f"{RESULTS}/figures/{e.name}/{figure}.png"
        for e in CFG.experiments.values()
        for figure in e.figures
    ]


def figure_inputs(w):
    """What figure ``w.figure`` of ``w.experiment`` is drawn from."""
    e = CFG.experiments[w.experiment]
    inputs = {}
    if w.figure != "figure7":
        inputs["metrics"] = f"{RESULTS}/{w.experiment}/metrics.parquet"
    if w.figure in ("figure1", "figure3", "figure4"):
        inputs["acquisitions"] = f"{RESULTS}/{w.experiment}/acquisitions.parquet"
    first = paths.round_dir(RESULTS, w.experiment, next(iter(e.datasets)), paths.INITIAL, e.seeds[0], 0)
    if w.figure == "figure3":
        inputs["model"] = f"{first}/model.pt"
    if w.figure == "figure4":
        inputs["embedding"] = f"{first}/embedding.parquet"
    return inputs
