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
from typing import Any, Dict, List

import spacy
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


def stage_seconds(nlp, texts: List[str], batch_size: int = 32) -> Dict[str, float]:
    """Run the component's stages one by one over ``texts`` and time each."""
    tagger = nlp.get_pipe("ner").model
    emitter = tagger.get_ref("emitter")
    features, *encoders, output_layer = emitter.layers
    crf = tagger.get_ref("crf")
    totals = {"tokenizer": 0.0, "features": 0.0, "encoder": 0.0, "emissions": 0.0, "crf_viterbi": 0.0}
    totals["confidence"] = 0.0
    scores = constrained_scores(crf)
    for i in range(0, len(texts), batch_size):
        t0 = time.perf_counter()
        docs = [nlp.make_doc(text) for text in texts[i : i + batch_size]]
        t1 = time.perf_counter()
        hidden = features.predict(docs)
        t2 = time.perf_counter()
        for encoder in encoders:
            hidden = encoder.predict(hidden)
        t3 = time.perf_counter()
        emissions = output_layer.predict(hidden)
        t4 = time.perf_counter()
        tags = crf.predict(emissions)
        t5 = time.perf_counter()
        span_probabilities(emissions, scores, [tags_to_spans(doc_tags.tolist()) for doc_tags in tags])
        t6 = time.perf_counter()
        for stage, seconds in zip(totals, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5)):
            totals[stage] += seconds
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
    total_stage = sum(stages.values())
    return {
        "model": model,
        "chars_per_second": chars_per_second(nlp, texts),
        "stage_share": {stage: seconds / total_stage for stage, seconds in stages.items()},
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
    bottom = [0.0] * len(results)
    names = [Path(r["model"]).parent.name for r in results]
    for stage in results[0]["stage_share"]:
        shares = [100 * r["stage_share"][stage] for r in results]
        right.bar(names, shares, bottom=bottom, label=stage)
        bottom = [b + s for b, s in zip(bottom, shares)]
    right.set_ylabel("% of inference time")
    right.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+")
    parser.add_argument("--test", type=Path, default=ROOT / "corpus" / "test.spacy")
    args = parser.parse_args()
    gold = list(DocBin().from_disk(args.test).get_docs(Vocab()))
    texts = [doc.text for doc in gold]
    results = [measure(model, texts) for model in args.models]
    peer = peer_chars_per_second(gold)
    report = {
        "peer_chars_per_second": peer,
        "date": datetime.date.today().isoformat(),
        "texts": f"{args.test} ({len(texts)} records, {sum(map(len, texts))} characters)",
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "results": results,
    }
    out = ROOT / "benchmarks"
    (out / "results" / "speed.json").write_text(json.dumps(report, indent=2) + "\n")
    plot(results, out / "speed.png")
    lines = [
        "# Inference speed (CPU, 2 cores)",
        "",
        f"Measured {report['date']} with `benchmarks/speed.py` on {report['texts']}; peak RSS of the whole run "
        f"{report['peak_rss_mb']:.0f} MB. Stage shares come from running the stages one by one.",
        "",
        f"In the same run spaCy's default CPU NER pipeline for Chinese (CNN tok2vec + transition parser, "
        f"`spacy init config -l zh -p ner -o efficiency`) annotated {peer:,.0f} chars/s.",
        "",
        "| model | chars/s | x spaCy `ner` | "
        + " | ".join(results[0]["stage_share"])
        + " | 1k chars (s) | 10k (s) | 100k (s) |",
        "|---|---:|---:|" + "---:|" * (len(results[0]["stage_share"]) + 3),
    ]
    for r in results:
        shares = " | ".join(f"{100 * v:.0f}%" for v in r["stage_share"].values())
        by_length = " | ".join(f"{r['seconds_by_length'][str(n)]:.2f}" for n in LENGTHS)
        ratio = r["chars_per_second"] / peer
        lines.append(f"| `{r['model']}` | {r['chars_per_second']:,.0f} | {ratio:.2f} | {shares} | {by_length} |")
    lines += ["", "![speed](speed.png)"]
    (out / "SPEED.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
