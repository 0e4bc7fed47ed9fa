# Stage 3: a strategy's picks from round r's model, and the labelled set of round r + 1.


rule select:
    input:
        labelled=lambda w: PLAN.labelled(*where(w)),
        embedding=lambda w: PLAN.select_embedding(*where(w)),
        model=lambda w: PLAN.select_model(*where(w)),
    output:
        acquisitions=f"{PICKS}/acquisitions.parquet",
        labelled=f"{PICKS}/next_labelled.parquet",
    log:
        log=f"{PICKS_LOG}/select.log",
        cost=f"{PICKS_LOG}/select.tsv",
    conda:
        "../../envs/alcore.yaml"
    threads: CFG.threads
    resources:
        gpu=GPU,
        mem_mb=mem_mb("select"),
    params:
        strategy=lambda w: str(CFG.strategies[w.strategy]),
        budget=lambda w: CFG.dataset(w.experiment, w.dataset).budget,
        code=code("select"),
    script:
        "../scripts/select.py"
