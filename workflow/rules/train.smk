# Stage 1: the initial random labels of a seed, then one model per (arm, seed, round).


rule initial_labels:
    output:
        labelled=f"{RESULTS}/{{experiment}}/{{dataset}}/initial/seed{{seed}}/round0/labelled.parquet",
    log:
        f"{LOGS}/{{experiment}}/{{dataset}}/initial/seed{{seed}}/round0/initial_labels.log",
    benchmark:
        f"{LOGS}/{{experiment}}/{{dataset}}/initial/seed{{seed}}/round0/initial_labels.tsv"
    params:
        size=lambda w: CFG.dataset(w.experiment, w.dataset).initial_size,
        code=code_version("initial"),
    threads: 1
    resources:
        mem_mb=mem_mb("initial"),
    conda:
        "../../envs/alcore.yaml"
    script:
        "../scripts/initial_labels.py"


rule train:
    input:
        labelled=get_labelled,
        previous=get_previous_model,
    output:
        model=checkpoint_file(
            f"{RESULTS}/{{experiment}}/{{dataset}}/{{arm}}/seed{{seed}}/round{{round}}/model.pt"
        ),
    log:
        f"{LOGS}/{{experiment}}/{{dataset}}/{{arm}}/seed{{seed}}/round{{round}}/train.log",
    benchmark:
        f"{LOGS}/{{experiment}}/{{dataset}}/{{arm}}/seed{{seed}}/round{{round}}/train.tsv"
    params:
        settings=lambda w: CFG.dataset(w.experiment, w.dataset).fingerprint(),
        torch_threads=CFG.threads,
        code=code_version("train"),
    threads: CFG.threads
    resources:
        gpu=GPU,
        mem_mb=mem_mb("train"),
    conda:
        "../../envs/alcore.yaml"
    script:
        "../scripts/train.py"
