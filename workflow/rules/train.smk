# Stage 1: the initial random labels of a seed, then one model per (arm, seed, round).


rule initial_labels:
    output:
        labelled=f"{INITIAL}/labelled.parquet",
    log:
        log=f"{INITIAL_LOG}/initial_labels.log",
        cost=f"{INITIAL_LOG}/initial_labels.tsv",
    conda:
        "../../envs/alcore.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("initial"),
    params:
        size=lambda w: CFG.dataset(w.experiment, w.dataset).initial_size,
        code=code("initial_labels"),
    script:
        "../scripts/initial_labels.py"


rule train:
    input:
        labelled=lambda w: PLAN.labelled(*where(w)),
        previous=lambda w: PLAN.previous_model(*where(w)),
    output:
        model=checkpoint_file(f"{ROUND}/model.pt"),
    log:
        log=f"{ROUND_LOG}/train.log",
        cost=f"{ROUND_LOG}/train.tsv",
    conda:
        "../../envs/alcore.yaml"
    threads: CFG.threads
    resources:
        gpu=GPU,
        mem_mb=mem_mb("train"),
    params:
        settings=lambda w: CFG.dataset(w.experiment, w.dataset).fingerprint(),
        torch_threads=CFG.threads,
        code=code("train"),
    script:
        "../scripts/train.py"
