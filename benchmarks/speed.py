"""Inference speed of pipelines on this machine, side by side in one process:
chars/s (interleaved passes, best of three), time per stage, peak memory, and
how time grows with record length.

    python benchmarks/speed.py training/bilstm_crf-seed0/model-best [MORE_MODELS ...] --precisions int8 bfloat16 \
        --initialised configs/bert_spacy_ner_frozen.cfg --reference "configs/bert_spacy_ner_frozen.cfg (initialised)"

Every ratio is to the peer, spaCy's default CPU ``ner`` trained by
``run_config.py spacy_default_ner`` (``--peer``), measured in the same run.
``--precisions`` adds a copy of each pipeline with torch layers at each reduced precision;
``--initialised`` a pipeline built from a config and initialised, not trained
(speed does not depend on the weights). Text comes from corpus/test.spacy.
Writes benchmarks/results/speed.json, then SPEED.md and speed.png from it.
"""

import argparse
import json
import resource
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from run_config import provenance
from spacy.language import Language
from spacy.tokens import DocBin
from spacy.training import Example
from spacy.util import load_config, load_model_from_config
from spacy.vocab import Vocab

from spacy_cner.decoder.bio import tags_to_spans
from spacy_cner.decoder.confidence import span_probabilities
from spacy_cner.decoder.crf import constrained_scores
from spacy_cner.model_loading import load_pipeline
from spacy_cner.quantization import set_precision

ROOT = Path(__file__).resolve().parent.parent
LENGTHS = (1_000, 10_000, 100_000)  # the default record lengths of the scaling measurement


STAGES = ("tokenizer", "backbone", "features", "encoder", "emissions", "crf_viterbi", "confidence")


def stage_seconds(nlp, texts: List[str], batch_size: int = 32) -> Optional[Dict[str, float]]:
    """Run the pipeline's stages one by one over ``texts`` and time each (for
    pipelines whose ``ner`` is this project's component)."""
    if nlp.get_pipe_meta("ner").factory != "cner":
        return None
    backbone = nlp.get_pipe("transformer") if "transformer" in nlp.pipe_names else None
    tagger = nlp.get_pipe("ner").model
    features, *encoders, output_layer = tagger.get_ref("emitter").layers
    crf = tagger.get_ref("crf")
    scores = constrained_scores(crf)
    totals = dict.fromkeys(STAGES, 0.0)
    for i in range(0, len(texts), batch_size):
        times = [time.perf_counter()]
        docs = [nlp.make_doc(text) for text in texts[i : i + batch_size]]
        times.append(time.perf_counter())
        if backbone is not None:
            docs = list(backbone.pipe(docs, batch_size=batch_size))
        times.append(time.perf_counter())
        hidden = features.predict(docs)
        times.append(time.perf_counter())
        for encoder in encoders:
            hidden = encoder.predict(hidden)
        times.append(time.perf_counter())
        emissions = output_layer.predict(hidden)
        times.append(time.perf_counter())
        tags = crf.predict(emissions)
        times.append(time.perf_counter())
        span_probabilities(emissions, scores, [tags_to_spans(doc_tags.tolist()) for doc_tags in tags])
        times.append(time.perf_counter())
        for stage, start, end in zip(STAGES, times, times[1:]):
            totals[stage] += end - start
    return totals


def chars_per_second(nlp: Language, texts: List[str]) -> float:
    started = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=32):
        pass
    return sum(map(len, texts)) / (time.perf_counter() - started)


def initialised(config: Path, backbone: Optional[str], gold: DocBin) -> Language:
    """The pipeline of ``config`` initialised on the test labels, untrained."""
    overrides = {"paths.backbone": backbone} if backbone else {}
    nlp = load_model_from_config(load_config(config, overrides=overrides), auto_fill=True)
    examples = [Example(nlp.make_doc(doc.text), doc) for doc in list(gold.get_docs(nlp.vocab))[:50]]
    nlp.initialize(lambda: examples)
    return nlp


def pipelines(args: argparse.Namespace, gold: DocBin) -> Dict[str, Language]:
    """Every row of the table by name, the peer first, each reduced-precision copy after its float model."""
    rows = {_shown(args.peer): load_pipeline(str(args.peer))}
    for model in args.models:
        rows[_shown(Path(model))] = nlp = load_pipeline(model)
        if "cner" in {nlp.get_pipe_meta(name).factory for name in nlp.pipe_names}:
            for precision in args.precisions:
                rows[f"{_shown(Path(model))} ({precision})"] = load_pipeline(model, precision)
    for config in args.initialised:
        rows[f"{_shown(config)} (initialised)"] = initialised(config, args.backbone, gold)
        for precision in args.precisions:  # the same reduction, for a fair comparison
            rows[f"{_shown(config)} (initialised) ({precision})"] = set_precision(
                initialised(config, args.backbone, gold), precision
            )
    return rows


def measure(pipelines: Dict[str, Language], texts: List[str], lengths: List[int]) -> List[Dict[str, Any]]:
    for nlp in pipelines.values():
        list(nlp.pipe(texts[:8]))  # warm-up: lazy tables, first torch calls
    speeds: Dict[str, List[float]] = {name: [] for name in pipelines}
    for _ in range(3):  # interleaved, so every pipeline meets the same machine load
        for name, nlp in pipelines.items():
            speeds[name].append(chars_per_second(nlp, texts))
    results = []
    joined = "".join(texts)
    for name, nlp in pipelines.items():
        stages = stage_seconds(nlp, texts)
        scaling = {}
        for length in lengths:
            text = (joined * (length // len(joined) + 1))[:length]
            started = time.perf_counter()
            nlp(text)
            scaling[str(length)] = time.perf_counter() - started
        total_stage = sum(stages.values()) if stages else None
        results.append(
            {
                "model": name,
                "chars_per_second": max(speeds[name]),
                "passes_chars_per_second": speeds[name],
                "stage_share": {stage: sec / total_stage for stage, sec in stages.items()} if stages else None,
                "seconds_by_length": scaling,
                "chars_per_second_by_length": {k: int(k) / v for k, v in scaling.items()},
            }
        )
    return results


def plot(results: List[Dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for result in results:
        name = short_name(result["model"])
        lengths = [int(n) for n in result["seconds_by_length"]]
        left.plot(lengths, list(result["seconds_by_length"].values()), marker="o", label=name)
    lengths = [int(n) for n in results[0]["seconds_by_length"]]
    first = results[0]["seconds_by_length"][str(lengths[0])]
    left.plot(lengths, [first * n / lengths[0] for n in lengths], "k:", label="linear")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("record length (characters)")
    left.set_ylabel("seconds for one record")
    left.legend()
    staged = [r for r in results if r["stage_share"]]
    bottom = [0.0] * len(staged)
    names = [short_name(r["model"]) for r in staged]
    for stage in STAGES:
        shares = [100 * r["stage_share"][stage] for r in staged]
        right.bar(names, shares, bottom=bottom, label=stage)
        bottom = [b + s for b, s in zip(bottom, shares)]
    right.set_ylabel("% of inference time")
    right.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def short_name(row: str) -> str:
    """``training/bilstm_crf-seed0/model-best (int8)`` -> ``bilstm_crf-seed0 (int8)``."""
    path, _, kind = row.partition(" ")
    name = Path(path).parent.name if path.endswith("model-best") else Path(path).stem
    return f"{name} {kind}".strip()


def _shown(path: Path) -> str:
    """The path relative to the repository when it is inside it."""
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def markdown(report: Dict[str, Any]) -> str:
    results, peer = report["results"], report["results"][0]
    lengths = list(peer["seconds_by_length"])
    reference = next((r for r in results if r["model"] == report["reference"]), None)
    lines = [
        "# Inference speed (CPU, 2 cores)",
        "",
        f"Measured {report['date'][:10]} at commit {report['commit'][:7]} with `benchmarks/speed.py` on "
        f"{report['texts']}; peak RSS of the whole run {report['peak_rss_mb']:.0f} MB; "
        f"{report['machine']['torch_threads']} torch thread(s). {report['note']}".rstrip(),
        "Every pipeline was measured in this one process, in interleaved passes (best of three); stage shares come "
        "from running the stages one by one.",
        "",
        f"Peer: `{peer['model']}`, spaCy's default CPU NER pipeline for Chinese (CNN tok2vec + transition parser, "
        "`spacy init config -l zh -p ner -o efficiency`) as trained by `run_config.py spacy_default_ner`.",
        "",
        "| model | chars/s | x spaCy `ner` | "
        + ("x reference | " if reference else "")
        + " | ".join(STAGES)
        + "".join(f" | {int(n):,} chars (s)" for n in lengths)
        + " |",
        "|---|---:|---:|" + "---:|" * (len(STAGES) + len(lengths) + bool(reference)),
    ]
    for r in results:
        shares = r["stage_share"] or {}
        cells = [f"{r['chars_per_second']:,.0f}", f"{r['chars_per_second'] / peer['chars_per_second']:.2f}"]
        cells += [f"{r['chars_per_second'] / reference['chars_per_second']:.2f}"] if reference else []
        cells += [f"{100 * shares[stage]:.0f}%" if stage in shares else "" for stage in STAGES]
        cells += [f"{seconds:.2f}" for seconds in r["seconds_by_length"].values()]
        lines.append(f"| `{r['model']}` | " + " | ".join(cells) + " |")
    if reference:
        lines += ["", f"Reference: `{reference['model']}`, measured in the same run."]
    lines += ["", "![speed](speed.png)"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*")
    parser.add_argument("--peer", type=Path, default=ROOT / "training" / "spacy_default_ner-seed0" / "model-best")
    parser.add_argument("--precisions", nargs="*", default=[], choices=["int8", "bfloat16"], help="copies at these")
    parser.add_argument("--initialised", type=Path, action="append", default=[], help="a config to build, untrained")
    parser.add_argument("--backbone", help="paths.backbone for --initialised configs, e.g. assets/m3e-small")
    parser.add_argument("--reference", help="a row to give every speed as a ratio to as well")
    parser.add_argument("--test", type=Path, default=ROOT / "corpus" / "test.spacy")
    parser.add_argument("--records", type=int, help="only the first N test records (default: all)")
    parser.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS), help="record lengths to time")
    parser.add_argument("--note", default="", help="the conditions, e.g. threads and what else ran")
    args = parser.parse_args()
    gold = DocBin().from_disk(args.test)
    texts = [doc.text for doc in gold.get_docs(Vocab())][: args.records]
    rows = pipelines(args, gold)
    if args.reference and args.reference not in rows:
        parser.error(f"--reference {args.reference!r} is not one of the rows: {', '.join(rows)}")
    report = {
        **provenance("speed", args.note),
        "texts": f"{_shown(args.test)} ({len(texts)} records, {sum(map(len, texts))} characters)",
        "reference": args.reference,
        "results": measure(rows, texts, args.lengths),
    }
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = ROOT / "benchmarks"
    (out / "results" / "speed.json").write_text(json.dumps(report, indent=2) + "\n")
    plot(report["results"], out / "speed.png")
    (out / "SPEED.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
