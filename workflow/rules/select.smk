# Stage 3: a strategy's picks from round r's model, and the labelled set of round r + 1.


rule select:
    input:
        labelled=get_labelled,
        embedding=get_select_embedding,
    output:
        acquisitions=f"{RESULTS}/{{experiment}}/{{dataset}}/{{strategy}}/seed{{seed}}/round{{round}}/acquisitions.parquet",
        labelled=f"{RESULTS}/{{experiment}}/{{dataset}}/{{strategy}}/seed{{seed}}/round{{round}}/next_labelled.parquet",
    log:
        f"{LOGS}/{{experiment}}/{{dataset}}/{{strategy}}/seed{{seed}}/round{{round}}/select.log",
    benchmark:
        f"{LOGS}/{{experiment}}/{{dataset}}/{{strategy}}/seed{{seed}}/round{{round}}/select.tsv"
    params:
        strategy=lambda w: str(CFG.strategies[w.strategy]),
        budget=lambda w: CFG.dataset(w.experiment, w.dataset).budget,
        code=code_version("select"),
    threads: CFG.threads
    resources:
        gpu=GPU,
        mem_mb=mem_mb("select"),
    conda:
        "../../envs/alcore.yaml"
    script:
        "../scripts/select.py"
