# The paper's figures and the statistics, drawn from each experiment's aggregated tables.


rule figure:
    input:
        unpack(figure_inputs),
    output:
        png=report(
            f"{RESULTS}/figures/{{experiment}}/{{figure}}.png",
            caption="../report/figure.rst",
            category="Figures",
            subcategory="{experiment}",
        ),
        pdf=f"{RESULTS}/figures/{{experiment}}/{{figure}}.pdf",
    log:
        f"{LOGS}/{{experiment}}/figures/{{figure}}.log",
    params:
        code=code_version("figures"),
    wildcard_constraints:
        figure="figure[134567]|radius",
    conda:
        "../../envs/alcore.yaml"
    script:
        "../scripts/figure.py"
