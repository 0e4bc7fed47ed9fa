# Stage 2: features and class probabilities of the pool and test set under a round's model.


rule embed:
    input:
        model=f"{ROUND}/model.pt",
        labelled=lambda w: PLAN.labelled(*where(w)),
    output:
        embedding=f"{ROUND}/embedding.parquet",
    log:
        log=f"{ROUND_LOG}/embed.log",
        cost=f"{ROUND_LOG}/embed.tsv",
    conda:
        "../../envs/alcore.yaml"
    threads: CFG.threads
    resources:
        gpu=GPU,
        mem_mb=mem_mb("embed"),
    params:
        torch_threads=CFG.threads,
        feature_dtype=lambda w: CFG.dataset(w.experiment, w.dataset).feature_dtype,
        code=code("embed"),
    script:
        "../scripts/embed.py"
