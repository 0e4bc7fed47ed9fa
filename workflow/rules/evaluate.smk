# Stage 4: one metrics row per model, then one table per experiment.


rule evaluate:
    input:
        unpack(lambda w: PLAN.evaluate_inputs(*where(w))),
        labelled=lambda w: PLAN.labelled(*where(w)),
    output:
        metrics=f"{ROUND}/metrics.parquet",
    log:
        log=f"{ROUND_LOG}/evaluate.log",
        cost=f"{ROUND_LOG}/evaluate.tsv",
    conda:
        "../../envs/alcore.yaml"
    threads: CFG.threads
    resources:
        gpu=GPU,
        mem_mb=mem_mb("evaluate"),
    params:
        torch_threads=CFG.threads,
        code=code("evaluate"),
    script:
        "../scripts/evaluate.py"


rule aggregate:
    input:
        metrics=lambda w: PLAN.experiment_metrics(w.experiment),
        acquisitions=lambda w: PLAN.experiment_acquisitions(w.experiment),
    output:
        metrics=paths.experiment_file(RESULTS, "{experiment}", "metrics.parquet"),
        acquisitions=paths.experiment_file(RESULTS, "{experiment}", "acquisitions.parquet"),
    log:
        paths.experiment_file(LOGS, "{experiment}", "aggregate.log"),
    conda:
        "../../envs/alcore.yaml"
    params:
        # the strategy each file reports (round 0 and arms with equal settings are shared)
        owners=lambda w: PLAN.metrics_owners(w.experiment),
        acquisitions_owners=lambda w: PLAN.acquisitions_owners(w.experiment),
        code=code("aggregate"),
    script:
        "../scripts/aggregate.py"


rule summarize:
    input:
        metrics=rules.aggregate.output.metrics,
    output:
        csv=report(
            paths.experiment_file(RESULTS, "{experiment}", "summary.csv"),
            caption="../report/summary.rst",
            category="Statistics",
        ),
        markdown=paths.experiment_file(RESULTS, "{experiment}", "summary.md"),
    log:
        paths.experiment_file(LOGS, "{experiment}", "summarize.log"),
    conda:
        "../../envs/alcore.yaml"
    params:
        code=code("summarize"),
    script:
        "../scripts/summarize.py"
