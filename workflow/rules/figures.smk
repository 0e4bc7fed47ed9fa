# The paper's figures and the statistics, drawn from each experiment's aggregated tables.


rule figure:
    input:
        unpack(lambda w: PLAN.figure_inputs(w.experiment, w.figure)),
    output:
        png=report(
            paths.figure_file(RESULTS, "{experiment}", "{figure}", "png"),
            caption="../report/figure.rst",
            category="Figures",
            subcategory="{experiment}",
        ),
        pdf=paths.figure_file(RESULTS, "{experiment}", "{figure}", "pdf"),
    log:
        paths.experiment_file(LOGS, "{experiment}", "figures/{figure}.log"),
    wildcard_constraints:
        figure="|".join(FIGURES),
    conda:
        "../../envs/alcore.yaml"
    params:
        code=code("figure"),
    script:
        "../scripts/figure.py"
