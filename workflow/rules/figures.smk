# The paper's figures and the statistics, drawn from each experiment's aggregated tables.


def figure_inputs(w):
    """What figure ``w.figure`` of ``w.experiment`` is drawn from."""
    e = CFG.experiments[w.experiment]
    inputs = {}
    if w.figure != "figure7":
        inputs["metrics"] = f"{RESULTS}/{w.experiment}/metrics.parquet"
    if w.figure in ("figure1", "figure3", "figure4"):
        inputs["acquisitions"] = f"{RESULTS}/{w.experiment}/acquisitions.parquet"
    first = paths.round_dir(RESULTS, w.experiment, next(iter(e.datasets)), paths.INITIAL, e.seeds[0], 0)
    if w.figure == "figure3":
        inputs["model"] = f"{first}/model.pt"
    if w.figure == "figure4":
        inputs["embedding"] = f"{first}/embedding.parquet"
    return inputs


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
    script:
        "../scripts/figure.py"
