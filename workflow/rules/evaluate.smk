# Stage 4: one metrics row per model, then one table per experiment.


rule evaluate:
    input:
        labelled=get_labelled,
        embedding=get_evaluate_embedding,
        model=get_evaluate_model,
    output:
        metrics=f"{RESULTS}/{{experiment}}/{{dataset}}/{{arm}}/seed{{seed}}/round{{round}}/metrics.parquet",
    log:
        f"{LOGS}/{{experiment}}/{{dataset}}/{{arm}}/seed{{seed}}/round{{round}}/evaluate.log",
    benchmark:
        f"{LOGS}/{{experiment}}/{{dataset}}/{{arm}}/seed{{seed}}/round{{round}}/evaluate.tsv"
    params:
        torch_threads=CFG.threads,
        code=code_version("evaluate"),
    threads: CFG.threads
    resources:
        gpu=GPU,
        mem_mb=mem_mb("evaluate"),
    conda:
        "../../envs/alcore.yaml"
    script:
        "../scripts/evaluate.py"


rule aggregate:
    input:
        metrics=experiment_metrics,
        acquisitions=experiment_acquisitions,
    output:
        metrics=f"{RESULTS}/{{experiment}}/metrics.parquet",
        acquisitions=f"{RESULTS}/{{experiment}}/acquisitions.parquet",
    log:
        f"{LOGS}/{{experiment}}/aggregate.log",
    params:
        # the strategy each metrics file belongs to (round 0 is shared: named per strategy)
        owners=lambda w: [s for d, s, seed in experiment_runs(w.experiment)
                          for _ in run_metrics(w.experiment, d, s, seed)],
    conda:
        "../../envs/alcore.yaml"
    script:
        "../scripts/aggregate.py"


rule summarize:
    input:
        metrics=rules.aggregate.output.metrics,
    output:
        csv=report(
            f"{RESULTS}/{{experiment}}/summary.csv",
            caption="../report/summary.rst",
            category="Statistics",
        ),
        markdown=f"{RESULTS}/{{experiment}}/summary.md",
    log:
        f"{LOGS}/{{experiment}}/summarize.log",
    params:
        code=code_version("figures"),
    conda:
        "../../envs/alcore.yaml"
    script:
        "../scripts/summarize.py"
