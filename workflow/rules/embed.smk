# Stage 2: features and class probabilities of the pool and test set under a round's model.


rule embed:
    input:
        model=f"{RESULTS}/{{experiment}}/{{dataset}}/{{arm}}/seed{{seed}}/round{{round}}/model.pt",
        labelled=get_labelled,
    output:
        embedding=f"{RESULTS}/{{experiment}}/{{dataset}}/{{arm}}/seed{{seed}}/round{{round}}/embedding.parquet",
    log:
        f"{LOGS}/{{experiment}}/{{dataset}}/{{arm}}/seed{{seed}}/round{{round}}/embed.log",
    benchmark:
        f"{LOGS}/{{experiment}}/{{dataset}}/{{arm}}/seed{{seed}}/round{{round}}/embed.tsv"
    params:
        torch_threads=CFG.threads,
        feature_dtype=lambda w: CFG.dataset(w.experiment, w.dataset).feature_dtype,
        code=code_version("embed"),
    threads: CFG.threads
    resources:
        gpu=GPU,
        mem_mb=mem_mb("embed"),
    conda:
        "../../envs/alcore.yaml"
    script:
        "../scripts/embed.py"
