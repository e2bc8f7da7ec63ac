"""Inference speed of trained pipelines on this machine: chars/s, time per stage,
peak memory, and how time grows with record length.

    python benchmarks/speed.py training/bilstm_crf-seed0/model-best [MORE_MODELS ...]

Text comes from corpus/test.spacy (the Yidu-S4K test records). Writes
benchmarks/results/speed.json, benchmarks/SPEED.md and benchmarks/speed.png.
"""

import argparse
import datetime
import json
import resource
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import spacy
import torch
from spacy.cli.init_config import init_config
from spacy.tokens import Doc, DocBin
from spacy.training import Example
from spacy.vocab import Vocab

from spacy_cner.decoder.bio import tags_to_spans
from spacy_cner.decoder.confidence import span_probabilities
from spacy_cner.decoder.crf import constrained_scores
from spacy_cner.model_loading import load_pipeline

ROOT = Path(__file__).resolve().parent.parent
LENGTHS = (1_000, 10_000, 100_000)


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


def chars_per_second(nlp, texts: List[str]) -> float:
    list(nlp.pipe(texts[:8]))  # warm-up: lazy tables, first torch calls
    started = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=32):
        pass
    return sum(map(len, texts)) / (time.perf_counter() - started)


def peer_chars_per_second(gold: List[Doc]) -> float:
    """spaCy's default CPU NER pipeline for Chinese (`spacy init config -l zh -p ner
    -o efficiency`), initialised on the gold docs' labels. Its speed does not
    depend on training, so an untrained copy times the same work."""
    config = init_config(lang="zh", pipeline=["ner"], optimize="efficiency")
    nlp = spacy.util.load_model_from_config(config, auto_fill=True)
    examples = [Example(nlp.make_doc(doc.text), doc) for doc in gold[:50]]
    nlp.initialize(lambda: examples)
    return chars_per_second(nlp, [doc.text for doc in gold])


def measure(model: str, texts: List[str]) -> Dict[str, Any]:
    nlp = load_pipeline(model)
    stages = stage_seconds(nlp, texts)
    joined = "".join(texts)
    scaling = {}
    for length in LENGTHS:
        text = (joined * (length // len(joined) + 1))[:length]
        started = time.perf_counter()
        nlp(text)
        scaling[str(length)] = time.perf_counter() - started
    total_stage = sum(stages.values()) if stages else None
    return {
        "model": model,
        "chars_per_second": chars_per_second(nlp, texts),
        "stage_share": {stage: seconds / total_stage for stage, seconds in stages.items()} if stages else None,
        "seconds_by_length": scaling,
        "chars_per_second_by_length": {k: int(k) / v for k, v in scaling.items()},
    }


def plot(results: List[Dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for result in results:
        name = Path(result["model"]).parent.name
        left.plot(LENGTHS, [result["seconds_by_length"][str(n)] for n in LENGTHS], marker="o", label=name)
    left.plot(LENGTHS, [results[0]["seconds_by_length"]["1000"] * n / 1000 for n in LENGTHS], "k:", label="linear")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("record length (characters)")
    left.set_ylabel("seconds for one record")
    left.legend()
    staged = [r for r in results if r["stage_share"]]
    bottom = [0.0] * len(staged)
    names = [Path(r["model"]).parent.name for r in staged]
    for stage in STAGES:
        shares = [100 * r["stage_share"][stage] for r in staged]
        right.bar(names, shares, bottom=bottom, label=stage)
        bottom = [b + s for b, s in zip(bottom, shares)]
    right.set_ylabel("% of inference time")
    right.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def _shown(path: Path) -> str:
    """The path relative to the repository when it is inside it."""
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+")
    parser.add_argument(
        "--reference",
        help="one of MODELS to give every speed as a ratio to as well, e.g. spaCy's ner over the same backbone",
    )
    parser.add_argument("--test", type=Path, default=ROOT / "corpus" / "test.spacy")
    parser.add_argument("--note", default="", help="the conditions, e.g. threads and what else ran")
    args = parser.parse_args()
    if args.reference and args.reference not in args.models:
        parser.error(f"--reference {args.reference} is not one of the models measured")
    gold = list(DocBin().from_disk(args.test).get_docs(Vocab()))
    texts = [doc.text for doc in gold]
    results = [measure(model, texts) for model in args.models]
    peer = peer_chars_per_second(gold)
    report = {
        "peer_chars_per_second": peer,
        "date": datetime.date.today().isoformat(),
        "texts": f"{_shown(args.test)} ({len(texts)} records, {sum(map(len, texts))} characters)",
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "reference": args.reference,
        "torch_threads": torch.get_num_threads(),
        "note": args.note,
        "results": results,
    }
    out = ROOT / "benchmarks"
    (out / "results" / "speed.json").write_text(json.dumps(report, indent=2) + "\n")
    plot(results, out / "speed.png")
    lines = [
        "# Inference speed (CPU, 2 cores)",
        "",
        f"Measured {report['date']} with `benchmarks/speed.py` on {report['texts']}; peak RSS of the whole run "
        f"{report['peak_rss_mb']:.0f} MB; {report['torch_threads']} torch thread(s). {args.note}".rstrip(),
        "Stage shares come from running the stages one by one.",
        "",
        f"In the same run spaCy's default CPU NER pipeline for Chinese (CNN tok2vec + transition parser, "
        f"`spacy init config -l zh -p ner -o efficiency`) annotated {peer:,.0f} chars/s.",
        "",
        "| model | chars/s | x spaCy `ner` | "
        + ("x reference | " if args.reference else "")
        + " | ".join(STAGES)
        + " | 1k chars (s) | 10k (s) | 100k (s) |",
        "|---|---:|---:|" + "---:|" * (len(STAGES) + 3 + bool(args.reference)),
    ]
    reference = next((r["chars_per_second"] for r in results if r["model"] == args.reference), None)
    for r in results:
        shares = r["stage_share"] or {}
        cells = [f"{r['chars_per_second']:,.0f}", f"{r['chars_per_second'] / peer:.2f}"]
        cells += [f"{r['chars_per_second'] / reference:.2f}"] if reference else []
        cells += [f"{100 * shares[stage]:.0f}%" if stage in shares else "" for stage in STAGES]
        cells += [f"{r['seconds_by_length'][str(n)]:.2f}" for n in LENGTHS]
        lines.append(f"| `{r['model']}` | " + " | ".join(cells) + " |")
    if reference:
        lines += ["", f"Reference: `{args.reference}`, measured in the same run."]
    lines += ["", "![speed](speed.png)"]
    (out / "SPEED.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
