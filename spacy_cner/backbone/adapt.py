"""Continued masked-LM pretraining of a BERT backbone on a hospital's own text.

Domain-adaptive pretraining (Gururangan et al., "Don't Stop Pretraining: Adapt
Language Models to Domains and Tasks", ACL 2020, doi:10.18653/v1/2020.acl-main.740)
with whole-word masking (Cui et al., "Pre-Training With Whole Word Masking for
Chinese BERT", IEEE/ACM TASLP 29, 2021, doi:10.1109/TASLP.2021.3124365): words come
from jieba, whose dictionary the medical lexicon extends, and every wordpiece of a
chosen word is masked together.

A checkpoint without an MLM head (m3e-small was tuned for sentence embeddings)
gets the standard BERT head, freshly initialised with its decoder tied to the
input embeddings. The head is first fitted with the encoder frozen, so the
held-out score "before" adaptation measures the original encoder, not a random
head; then every layer trains. Plain torch and transformers: no spaCy here.
"""

import json
import math
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import torch

if TYPE_CHECKING:  # transformers is slow to import, and spaCy's CLI imports this package's commands
    from transformers import BertForMaskedLM, PreTrainedTokenizerBase

IGNORE = -100  # label of tokens the loss skips


@dataclass
class AdaptSettings:
    max_length: int = 128
    batch_size: int = 32
    head_steps: int = 200
    steps: int = 2000
    learn_rate: float = 5e-5
    head_learn_rate: float = 1e-3
    warmup: float = 0.06
    mask_rate: float = 0.15
    heldout: float = 0.02
    checkpoint_every: int = 100
    seed: int = 0


def word_ids_of_tokens(offsets: Sequence[Tuple[int, int]], word_starts: Sequence[int]) -> List[Optional[int]]:
    """The word each token belongs to (by the token's first character); None for
    special tokens, whose offsets are (0, 0)."""
    word_ids: List[Optional[int]] = []
    word = 0
    for start, end in offsets:
        if start == end:
            word_ids.append(None)
            continue
        while word + 1 < len(word_starts) and word_starts[word + 1] <= start:
            word += 1
        word_ids.append(word)
    return word_ids


def whole_word_mask(word_ids: Sequence[Optional[int]], rate: float, rng: random.Random) -> List[bool]:
    """Choose whole words at random until ``rate`` of the tokens are covered
    (at least one word); every token of a chosen word is masked."""
    tokens_of: Dict[int, List[int]] = {}
    for position, word in enumerate(word_ids):
        if word is not None:
            tokens_of.setdefault(word, []).append(position)
    words = list(tokens_of)
    rng.shuffle(words)
    budget = max(1, round(rate * sum(len(t) for t in tokens_of.values())))
    masked = [False] * len(word_ids)
    covered = 0
    for word in words:
        if covered >= budget:
            break
        if covered and covered + len(tokens_of[word]) > budget + 1:
            continue  # a long word that would overshoot; a shorter one may fit
        for position in tokens_of[word]:
            masked[position] = True
        covered += len(tokens_of[word])
    return masked


def corrupt(
    input_ids: List[int], masked: Sequence[bool], mask_id: int, vocab_size: int, special: set, rng: random.Random
) -> Tuple[List[int], List[int]]:
    """BERT's 80/10/10 rule on the chosen tokens: [MASK], a random token, or kept."""
    corrupted, labels = list(input_ids), [IGNORE] * len(input_ids)
    for position, chosen in enumerate(masked):
        if not chosen:
            continue
        labels[position] = input_ids[position]
        draw = rng.random()
        if draw < 0.8:
            corrupted[position] = mask_id
        elif draw < 0.9:
            token = rng.randrange(vocab_size)
            while token in special:
                token = rng.randrange(vocab_size)
            corrupted[position] = token
    return corrupted, labels


@dataclass
class Window:
    """A piece of text that fits the model, with the word of each token."""

    input_ids: List[int]
    word_ids: List[Optional[int]]


def make_windows(
    texts: Iterable[str], tokenizer: "PreTrainedTokenizerBase", segment: Callable[[str], List[str]], max_length: int
) -> List[Window]:
    """Tokenise each text, attach jieba words to its tokens and cut it into
    windows of at most ``max_length`` tokens ([CLS] and [SEP] included), never
    splitting a word across two windows."""
    windows: List[Window] = []
    body = max_length - 2
    for text in texts:
        words = segment(text)
        starts, position = [], 0
        for word in words:
            starts.append(position)
            position += len(word)
        encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        ids, word_ids = encoding["input_ids"], word_ids_of_tokens(encoding["offset_mapping"], starts)
        begin = 0
        while begin < len(ids):
            end = min(begin + body, len(ids))
            while end < len(ids) and end > begin + 1 and word_ids[end] == word_ids[end - 1]:
                end -= 1  # back up to a word boundary
            windows.append(
                Window(
                    [tokenizer.cls_token_id, *ids[begin:end], tokenizer.sep_token_id],
                    [None, *word_ids[begin:end], None],
                )
            )
            begin = end
    return windows


def collate(
    windows: Sequence[Window], tokenizer: "PreTrainedTokenizerBase", rate: float, rng: random.Random
) -> Dict[str, torch.Tensor]:
    special = set(tokenizer.all_special_ids)
    width = max(len(w.input_ids) for w in windows)
    input_ids = torch.full((len(windows), width), tokenizer.pad_token_id, dtype=torch.long)
    labels = torch.full((len(windows), width), IGNORE, dtype=torch.long)
    attention = torch.zeros((len(windows), width), dtype=torch.long)
    for row, window in enumerate(windows):
        masked = whole_word_mask(window.word_ids, rate, rng)
        ids, targets = corrupt(window.input_ids, masked, tokenizer.mask_token_id, len(tokenizer), special, rng)
        input_ids[row, : len(ids)] = torch.tensor(ids)
        labels[row, : len(ids)] = torch.tensor(targets)
        attention[row, : len(ids)] = 1
    return {"input_ids": input_ids, "attention_mask": attention, "labels": labels}


def load_masked_lm(backbone: str, seed: int = 0) -> Tuple["BertForMaskedLM", "PreTrainedTokenizerBase", bool]:
    """The backbone with an MLM head (a new one initialised from ``seed``); the
    flag says whether the head is new."""
    torch.manual_seed(seed)
    from transformers import AutoTokenizer, BertForMaskedLM

    model, info = BertForMaskedLM.from_pretrained(backbone, output_loading_info=True)
    head_is_new = any(key.startswith("cls.") for key in info["missing_keys"])
    model.tie_weights()
    return model, AutoTokenizer.from_pretrained(backbone), head_is_new


@torch.no_grad()
def heldout_scores(model: "BertForMaskedLM", batches: Sequence[Dict[str, torch.Tensor]]) -> Dict[str, float]:
    """Mean loss and accuracy over every masked token of the held-out batches."""
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    for batch in batches:
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        chosen = batch["labels"] != IGNORE
        targets = batch["labels"][chosen]
        total_loss += torch.nn.functional.cross_entropy(logits[chosen], targets, reduction="sum").item()
        correct += (logits[chosen].argmax(-1) == targets).sum().item()
        count += targets.numel()
    model.train()
    return {"loss": round(total_loss / max(count, 1), 4), "accuracy": round(correct / max(count, 1), 4)}


class Adapter:
    """The two training phases, checkpointed so an interrupted run resumes at
    the step it had saved, with the same data order and masks."""

    def __init__(
        self,
        masked_lm: Tuple["BertForMaskedLM", "PreTrainedTokenizerBase", bool],
        output: Path,
        windows: List[Window],
        settings: AdaptSettings,
    ) -> None:
        self.output, self.settings = output, settings
        self.model, self.tokenizer, self.head_is_new = masked_lm
        rng = random.Random(settings.seed)
        order = list(range(len(windows)))
        rng.shuffle(order)
        n_heldout = max(1, round(settings.heldout * len(windows))) if len(windows) > 1 else 0
        self.heldout_windows = [windows[i] for i in order[:n_heldout]]
        self.train_windows = [windows[i] for i in order[n_heldout:]]
        if not self.train_windows:
            raise ValueError("No text left to train on after holding some out: give more text")
        heldout_rng = random.Random(settings.seed + 1)  # fixed masks: before and after see the same positions
        self.heldout = [
            collate(self.heldout_windows[i : i + settings.batch_size], self.tokenizer, settings.mask_rate, heldout_rng)
            for i in range(0, len(self.heldout_windows), settings.batch_size)
        ]
        self.step = 0
        self.report: Dict[str, object] = {"settings": asdict(self.settings), "mlm_head_is_new": self.head_is_new}
        self.optimizer = self._make_optimizer()

    @property
    def total_steps(self) -> int:
        return (self.settings.head_steps if self.head_is_new else 0) + self.settings.steps

    def _make_optimizer(self) -> torch.optim.Optimizer:
        head = [p for n, p in self.model.named_parameters() if n.startswith("cls.") and "decoder.weight" not in n]
        head_ids = {id(p) for p in head}
        encoder = [p for p in self.model.parameters() if id(p) not in head_ids]
        return torch.optim.AdamW(
            [
                {"params": encoder, "lr": self.settings.learn_rate},
                {"params": head, "lr": self.settings.head_learn_rate},
            ],
            weight_decay=0.01,
        )

    def _learning_rates(self, step: int) -> Tuple[float, float]:
        """Encoder frozen (rate 0) while a new head is fitted; then linear warm-up and decay."""
        s = self.settings
        head_steps = s.head_steps if self.head_is_new else 0
        if step < head_steps:
            return 0.0, s.head_learn_rate
        progress = step - head_steps
        warmup = max(1, int(s.warmup * s.steps))
        factor = progress / warmup if progress < warmup else max(0.0, (s.steps - progress) / (s.steps - warmup))
        return s.learn_rate * factor, s.head_learn_rate * factor

    def _batch(self, step: int) -> Dict[str, torch.Tensor]:
        """Batch ``step`` of a shuffled, repeating order; masks drawn from (seed, step)."""
        size, n = self.settings.batch_size, len(self.train_windows)
        per_epoch = max(1, math.ceil(n / size))
        epoch, index = divmod(step, per_epoch)
        order = list(range(n))
        random.Random(self.settings.seed * 100003 + epoch).shuffle(order)
        chosen = [self.train_windows[i] for i in order[index * size : (index + 1) * size]]
        return collate(chosen, self.tokenizer, self.settings.mask_rate, random.Random(f"{self.settings.seed}:{step}"))

    def checkpoint(self) -> None:
        folder = self.output / "checkpoint"
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / "state.pt.partial"
        torch.save({"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict()}, partial)
        partial.replace(folder / "state.pt")  # a kill mid-save leaves the previous checkpoint whole
        (folder / "progress.json").write_text(json.dumps({"step": self.step, "report": self.report}, indent=2))

    def resume(self) -> bool:
        folder = self.output / "checkpoint"
        if not (folder / "state.pt").exists():
            return False
        progress = json.loads((folder / "progress.json").read_text())
        if progress["report"]["settings"] != asdict(self.settings):
            raise ValueError(f"The checkpoint in {folder} was made with other settings: use another --output")
        state = torch.load(folder / "state.pt", weights_only=True)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.step, self.report = progress["step"], progress["report"]
        return True

    def run(self, log: Callable[[str], None] = print) -> Dict[str, object]:
        if "before" not in self.report:
            self.report["as_loaded"] = heldout_scores(self.model, self.heldout)
        self.model.train()
        head_steps = self.settings.head_steps if self.head_is_new else 0
        started, started_step = time.perf_counter(), self.step
        last_saved = started
        while self.step < self.total_steps:
            if self.step == head_steps and "before" not in self.report:
                self.report["before"] = heldout_scores(self.model, self.heldout)
                log(f"held-out before adaptation (original encoder, fitted head): {self.report['before']}")
            encoder_rate, head_rate = self._learning_rates(self.step)
            self.optimizer.param_groups[0]["lr"], self.optimizer.param_groups[1]["lr"] = encoder_rate, head_rate
            torch.manual_seed(self.settings.seed * 1_000_003 + self.step)  # dropout too: a resumed run is the same run
            loss = self.model(**self._batch(self.step)).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.optimizer.step()
            self.optimizer.zero_grad()
            self.step += 1
            if self.step % self.settings.checkpoint_every == 0 or self.step == self.total_steps:
                now = time.perf_counter()
                # training time over every resumed segment, saved with the checkpoint
                self.report["train_seconds"] = round(self.report.get("train_seconds", 0.0) + now - last_saved, 1)
                last_saved = now
                self.checkpoint()
                rate = (self.step - started_step) / (now - started)
                log(f"step {self.step}/{self.total_steps}  loss {loss.item():.3f}  {rate:.2f} steps/s  (checkpoint)")
        self.report["after"] = heldout_scores(self.model, self.heldout)
        self.report["train_windows"], self.report["heldout_windows"] = (
            len(self.train_windows),
            len(self.heldout_windows),
        )
        log(f"held-out after adaptation: {self.report['after']}")
        return self.report

    def save(self) -> None:
        """A backbone folder any ``bert_*`` config takes as ``paths.backbone``
        (the MLM head is kept, so a later round can adapt it further)."""
        self.model.save_pretrained(self.output)
        self.tokenizer.save_pretrained(self.output)
        (self.output / "adaptation.json").write_text(json.dumps(self.report, indent=2, ensure_ascii=False) + "\n")
